/**
 * Keeps the partitions one collector reads within `maxSkewMs` of each other in event time. Partitions are read
 * independently, so after a restart or a burst one can run hours ahead of another; rules that join across agents
 * (a token issued on one partition, used on another) need the issuance seen first. A batch is only processed up to
 * {@link limitFor} (the slowest other partition that still has a backlog, plus the allowance); the partition is
 * then paused until the others catch up. Partitions without a backlog never hold others back, so live traffic is
 * not delayed in steady state. Pure bookkeeping: the collector cuts batches and pauses/resumes as told.
 */
export class PartitionPacer {
  private readonly parts = new Map<number, { timeMs: number; backlog: boolean; paused: boolean }>();

  constructor(private readonly maxSkewMs: number) {}

  /** The partitions now assigned; others are forgotten. */
  assign(partitions: readonly number[]): void {
    for (const p of [...this.parts.keys()]) if (!partitions.includes(p)) this.parts.delete(p);
  }

  /**
   * Latest event time partition `p` may process now. A partition seen for the first time goes at most the
   * allowance past its own first event, so every partition reports its position before any runs far ahead.
   */
  limitFor(partition: number, firstTimeMs: number): number {
    let limit = this.floor(partition) + this.maxSkewMs;
    if (!this.parts.has(partition)) limit = Math.min(limit, firstTimeMs + this.maxSkewMs);
    return limit;
  }

  /** After a batch: the partition's newest processed event time and whether messages remain behind it. */
  observe(partition: number, timeMs: number, backlog: boolean): void {
    const cur = this.parts.get(partition);
    if (cur) {
      cur.timeMs = Math.max(cur.timeMs, timeMs);
      cur.backlog = backlog;
    } else this.parts.set(partition, { timeMs, backlog, paused: false });
  }

  /** Marks a partition paused (its batch was cut at its limit); {@link plan} says when to resume it. */
  pause(partition: number): void {
    const cur = this.parts.get(partition);
    if (cur) cur.paused = true;
  }

  /** Paused partitions that may go on now: the others moved on enough, or none of them has a backlog. */
  plan(): { resume: number[] } {
    const resume: number[] = [];
    for (const [p, s] of this.parts) {
      if (!s.paused) continue;
      const floor = this.floor(p);
      // Hysteresis: wait until a useful stretch (half the allowance) can be processed.
      if (floor === Number.POSITIVE_INFINITY || s.timeMs < floor + this.maxSkewMs / 2) {
        s.paused = false;
        resume.push(p);
      }
    }
    return { resume };
  }

  paused(): number[] {
    return [...this.parts].filter(([, s]) => s.paused).map(([p]) => p);
  }

  /** Event time of the slowest other partition that still has a backlog (+Infinity: none). */
  private floor(except: number): number {
    let floor = Number.POSITIVE_INFINITY;
    for (const [p, s] of this.parts) if (p !== except && s.backlog && s.timeMs < floor) floor = s.timeMs;
    return floor;
  }
}
