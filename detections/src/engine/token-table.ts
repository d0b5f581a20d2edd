/** What the engine knows about one credential (events.md `token_issued` / `token_revoked`). */
export interface TokenFact {
  /** Agent the token was issued to. */
  agentId: string;
  issuer: string;
  scopes: string[];
  issuedMs: number;
  expiresMs: number;
  revokedMs: number | null;
  parentTokenId: string | null;
  /** event_id of the issuance, for evidence. */
  eventId: string;
}

/** Read access to credential facts, which is all a rule gets. */
export interface TokenLookup {
  get(tokenId: string): TokenFact | undefined;
}

const BUCKET_MS = 600_000;

/**
 * Live credentials keyed by `token_id`. Bounded: a token is forgotten `graceMs` after it expired (or
 * was revoked), so the table grows with live tokens, not with history. A use of a forgotten token is
 * indistinguishable from an unknown token; the grace period sets how late "use after expiry" is seen.
 * Expiry is driven by 10-minute buckets of due times, so a sweep touches only tokens that are due.
 * With `maxPerAgent`, an agent holding that many live tokens has further issuances refused ({@link issue} returns
 * false, the caller counts it): a token flood grows neither the table nor the time it takes, and other agents'
 * tokens stay.
 */
export class TokenTable implements TokenLookup {
  private readonly tokens = new Map<string, TokenFact>();
  private readonly perAgent = new Map<string, number>();
  /** Bucket start (ms) -> token ids that may be due then. */
  private readonly due = new Map<number, string[]>();
  private sweptUpToMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly graceMs: number,
    private readonly maxPerAgent = Number.POSITIVE_INFINITY,
  ) {}

  get(tokenId: string): TokenFact | undefined {
    return this.tokens.get(tokenId);
  }

  /** Records a token; false (not recorded) when its agent already holds `maxPerAgent` live tokens. */
  issue(tokenId: string, fact: TokenFact): boolean {
    const before = this.tokens.get(tokenId);
    if (before?.agentId !== fact.agentId) {
      const held = this.perAgent.get(fact.agentId) ?? 0;
      if (held >= this.maxPerAgent) return false;
      this.perAgent.set(fact.agentId, held + 1);
      if (before) this.release(before.agentId);
    }
    this.tokens.set(tokenId, fact);
    this.schedule(tokenId, fact);
    return true;
  }

  /** Marks a token revoked at `atMs`; returns false when the token is unknown. */
  revoke(tokenId: string, atMs: number): boolean {
    const t = this.tokens.get(tokenId);
    if (!t) return false;
    if (t.revokedMs === null || atMs < t.revokedMs) t.revokedMs = atMs;
    return true;
  }

  /** Drops tokens whose grace period ended at or before `nowMs`. */
  sweep(nowMs: number): void {
    const upTo = Math.floor(nowMs / BUCKET_MS) * BUCKET_MS;
    if (upTo <= this.sweptUpToMs) return;
    this.sweptUpToMs = upTo;
    for (const [bucket, ids] of this.due) {
      if (bucket >= upTo) continue;
      this.due.delete(bucket);
      for (const id of ids) {
        const t = this.tokens.get(id);
        if (!t) continue;
        if (this.forgetAtMs(t) <= nowMs) {
          this.tokens.delete(id);
          this.release(t.agentId);
        } else this.schedule(id, t);
      }
    }
  }

  get size(): number {
    return this.tokens.size;
  }

  /** Plain data for checkpoints. */
  snapshot(): Array<[string, TokenFact]> {
    return [...this.tokens];
  }

  restore(entries: Array<[string, TokenFact]>): void {
    this.tokens.clear();
    this.perAgent.clear();
    this.due.clear();
    for (const [id, t] of entries) this.issue(id, t);
  }

  private release(agentId: string): void {
    const held = (this.perAgent.get(agentId) ?? 1) - 1;
    if (held > 0) this.perAgent.set(agentId, held);
    else this.perAgent.delete(agentId);
  }

  private forgetAtMs(t: TokenFact): number {
    return Math.min(t.expiresMs, t.revokedMs ?? Number.POSITIVE_INFINITY) + this.graceMs;
  }

  private schedule(id: string, t: TokenFact): void {
    // Tokens re-issued under the same id are rescheduled; the stale entry is re-checked and skipped.
    const bucket = Math.max(Math.floor(this.forgetAtMs(t) / BUCKET_MS) * BUCKET_MS, this.sweptUpToMs);
    const list = this.due.get(bucket);
    if (list) list.push(id);
    else this.due.set(bucket, [id]);
  }
}
