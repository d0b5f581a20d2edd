/**
 * An agent's recent event ids, for duplicate suppression within `duplicate_window`: a set for the lookup, a
 * time-ordered queue for expiry. Bounded per agent by {@link MAX_RECENT_IDS_PER_AGENT}: an agent flooding events
 * would otherwise keep every id of the last `duplicate_window` (1M events/min x 10 min = 10M ids). Past the cap the
 * oldest ids are let go early and counted ({@link RecentIds.remember} returns how many), so a redelivery of one of
 * them is processed again: a known, reported loss confined to the flooding agent.
 */
export const MAX_RECENT_IDS_PER_AGENT = 4_096;

/**
 * A set for the lookup and a time-ordered queue for expiry, kept as two parallel arrays (ids, times) rather than one
 * [id, time] pair per event: one object fewer per remembered id.
 */
export class RecentIds {
  private readonly set = new Set<string>();
  private ids: string[] = [];
  private times: number[] = [];
  private head = 0;

  constructor(entries: Array<[string, number]> = []) {
    for (const [id, t] of entries.slice(-MAX_RECENT_IDS_PER_AGENT)) {
      this.set.add(id);
      this.ids.push(id);
      this.times.push(t);
    }
  }

  get size(): number {
    return this.set.size;
  }

  /** Whether the agent had this event id within the window ending at its newest time (expired ids are let go first). */
  has(eventId: string, nowMs: number, windowMs: number): boolean {
    const n = this.times.length;
    const newest = n > this.head ? (this.times[n - 1] as number) : nowMs;
    const horizon = Math.max(newest, nowMs) - windowMs;
    while (this.head < n && (this.times[this.head] as number) < horizon) this.drop();
    this.compact();
    return this.set.has(eventId);
  }

  /** Remembers an id; returns how many older ids were let go to stay within the cap (0 or 1). */
  remember(eventId: string, nowMs: number): number {
    this.set.add(eventId);
    this.ids.push(eventId);
    this.times.push(nowMs);
    if (this.ids.length - this.head <= MAX_RECENT_IDS_PER_AGENT) return 0;
    this.drop();
    this.compact();
    return 1;
  }

  /** The remembered [event_id, time] pairs, oldest first (snapshots). */
  entries(): Array<[string, number]> {
    const out: Array<[string, number]> = [];
    for (let i = this.head; i < this.ids.length; i++) out.push([this.ids[i] as string, this.times[i] as number]);
    return out;
  }

  private drop(): void {
    this.set.delete(this.ids[this.head] as string);
    this.head++;
  }

  private compact(): void {
    if (this.head > 64 && this.head * 2 > this.ids.length) {
      this.ids = this.ids.slice(this.head);
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }
}
