/**
 * An agent's recent event ids, for duplicate suppression within `duplicate_window`: a set for the lookup, a
 * time-ordered queue for expiry. Bounded per agent by {@link MAX_RECENT_IDS_PER_AGENT}: an agent flooding events
 * would otherwise keep every id of the last `duplicate_window` (1M events/min x 10 min = 10M ids). Past the cap the
 * oldest ids are let go early and counted ({@link RecentIds.remember} returns how many), so a redelivery of one of
 * them is processed again: a known, reported loss confined to the flooding agent.
 */
export const MAX_RECENT_IDS_PER_AGENT = 4_096;

export class RecentIds {
  private readonly ids = new Set<string>();
  private queue: Array<[string, number]>;
  private head = 0;

  constructor(entries: Array<[string, number]> = []) {
    this.queue = entries.slice(-MAX_RECENT_IDS_PER_AGENT);
    for (const [id] of this.queue) this.ids.add(id);
  }

  get size(): number {
    return this.ids.size;
  }

  /** Whether the agent had this event id within the window ending at its newest time (expired ids are let go first). */
  has(eventId: string, nowMs: number, windowMs: number): boolean {
    const q = this.queue;
    const newest = q.length > this.head ? (q[q.length - 1] as [string, number])[1] : nowMs;
    const horizon = Math.max(newest, nowMs) - windowMs;
    while (this.head < q.length && (q[this.head] as [string, number])[1] < horizon) this.drop();
    this.compact();
    return this.ids.has(eventId);
  }

  /** Remembers an id; returns how many older ids were let go to stay within the cap (0 or 1). */
  remember(eventId: string, nowMs: number): number {
    this.ids.add(eventId);
    this.queue.push([eventId, nowMs]);
    if (this.queue.length - this.head <= MAX_RECENT_IDS_PER_AGENT) return 0;
    this.drop();
    this.compact();
    return 1;
  }

  /** The remembered [event_id, time] pairs, oldest first (snapshots). */
  entries(): Array<[string, number]> {
    return this.queue.slice(this.head);
  }

  private drop(): void {
    this.ids.delete((this.queue[this.head] as [string, number])[0]);
    this.head++;
  }

  private compact(): void {
    if (this.head > 64 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
