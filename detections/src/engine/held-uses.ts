import type { CanonicalEvent } from '@agentwatch/schemas';

/** An event that referred to a token, kept to be checked again when more about the token is learned. */
export interface HeldUse {
  event: CanonicalEvent;
  nowMs: number;
}

/** What {@link HeldUses.add} did beyond holding the use. */
export interface HoldOutcome {
  /** Oldest uses (of any agent) let go to stay within the total cap. */
  evicted: number;
  /** The use was not held: its agent already has `maxPerAgent` uses held (a flood must not evict other agents' uses). */
  refused: boolean;
}

/**
 * Token uses held by token id, with expiry in arrival order (a FIFO queue, so expiry pops from the front instead
 * of scanning), a total cap and a per-agent cap. The engine holds two kinds: uses of tokens not known yet (parked
 * until the token's fact arrives) and uses of known tokens by other agents (watched in case a revocation is read late).
 */
export class HeldUses {
  private readonly byToken = new Map<string, HeldUse[]>();
  private readonly perAgent = new Map<string, number>();
  private queue: Array<{ tokenId: string; use: HeldUse }> = [];
  private head = 0;
  private count = 0;

  constructor(
    private readonly max: number,
    private readonly maxPerAgent: number = max,
  ) {}

  get size(): number {
    return this.count;
  }

  has(tokenId: string): boolean {
    return this.byToken.has(tokenId);
  }

  /** A lower bound of the oldest held use's `nowMs` (+Infinity: none held). */
  oldestMs(): number {
    if (this.count === 0) return Number.POSITIVE_INFINITY;
    // The front entry may have been taken already: it is older than every use still held, so still a lower bound.
    return (this.queue[this.head] as { use: HeldUse }).use.nowMs;
  }

  tokenIds(): string[] {
    return [...this.byToken.keys()];
  }

  /** Holds a use unless its agent is at its cap; lets go of the oldest uses beyond the total cap. */
  add(tokenId: string, use: HeldUse): HoldOutcome {
    const agentId = use.event.agent_id;
    const held = this.perAgent.get(agentId) ?? 0;
    if (held >= this.maxPerAgent) return { evicted: 0, refused: true };
    this.perAgent.set(agentId, held + 1);
    const list = this.byToken.get(tokenId);
    if (list) list.push(use);
    else this.byToken.set(tokenId, [use]);
    this.queue.push({ tokenId, use });
    this.count++;
    return { evicted: this.count > this.max ? this.expire(Number.POSITIVE_INFINITY, this.count - this.max) : 0, refused: false };
  }

  private release(use: HeldUse): void {
    const agentId = use.event.agent_id;
    const held = (this.perAgent.get(agentId) ?? 1) - 1;
    if (held > 0) this.perAgent.set(agentId, held);
    else this.perAgent.delete(agentId);
  }

  /** Removes and returns the uses held for a token. */
  take(tokenId: string): HeldUse[] | undefined {
    const uses = this.byToken.get(tokenId);
    if (!uses) return undefined;
    this.byToken.delete(tokenId);
    this.count -= uses.length;
    for (const use of uses) this.release(use);
    return uses;
  }

  /** Lets go of uses older than `beforeMs` (at most `limit`, oldest first); returns how many. */
  expire(beforeMs: number, limit = Number.POSITIVE_INFINITY): number {
    const q = this.queue;
    let dropped = 0;
    while (this.head < q.length && dropped < limit) {
      const entry = q[this.head] as { tokenId: string; use: HeldUse };
      if (entry.use.nowMs >= beforeMs) break;
      this.head++;
      const list = this.byToken.get(entry.tokenId);
      const at = list ? list.indexOf(entry.use) : -1;
      if (!list || at < 0) continue; // already taken
      list.splice(at, 1);
      if (list.length === 0) this.byToken.delete(entry.tokenId);
      this.release(entry.use);
      this.count--;
      dropped++;
    }
    if (this.head > 4096 && this.head * 2 > q.length) {
      this.queue = q.slice(this.head);
      this.head = 0;
    }
    return dropped;
  }

  entries(): Array<[string, HeldUse[]]> {
    return [...this.byToken.entries()];
  }

  /** Replaces the content (restore from a snapshot). */
  load(entries: ReadonlyArray<[string, HeldUse[]]>): void {
    this.byToken.clear();
    this.perAgent.clear();
    this.queue = [];
    this.head = 0;
    this.count = 0;
    for (const [tokenId, uses] of entries) {
      this.byToken.set(tokenId, uses);
      this.count += uses.length;
      for (const use of uses) {
        this.queue.push({ tokenId, use });
        this.perAgent.set(use.event.agent_id, (this.perAgent.get(use.event.agent_id) ?? 0) + 1);
      }
    }
    this.queue.sort((a, b) => a.use.nowMs - b.use.nowMs);
  }

  clear(): void {
    this.load([]);
  }
}
