/** How far one partition of the events topic got, as its owner reports it to the rest of the group. */
export interface PartitionProgress {
  partition: number;
  /** Newest event time processed (or known to be passed: the next message is later). */
  timeMs: number;
  /** Messages remain behind it (its owner is catching up, not live). */
  backlog: boolean;
  /** Wall-clock time of the report: a report older than the pacer's `staleMs` no longer holds anyone back. */
  atMs: number;
}

export interface PartitionPacerOptions {
  /** Event-time allowance: a partition may run this far past the slowest one with a backlog. */
  maxSkewMs: number;
  /**
   * How long another collector's report of a backlogged partition is trusted (wall clock). It must outlast the
   * group's session timeout plus a rebalance, so a dead collector's partitions hold the others back until their
   * new owner reports them; after that a partition whose owner is stuck stops holding the group.
   */
  staleMs: number;
  /**
   * Owners re-report their partitions at least this often (heartbeat). A partition whose reports stopped longer
   * than this may have lost its owner while messages keep arriving unread: it counts as behind (at its last
   * position) until it is reported again or goes stale. Default: no silence rule.
   */
  silentMs?: number;
  /**
   * Conservative fact horizon (wall clock). While the group has a backlog, or had one within this long, a partition
   * another collector reports as caught up still holds the fact horizon ({@link PartitionPacer.groupFloor}) at its
   * reported position as long as that position changed within this long: it has live traffic, so if its owner just
   * died, messages (token facts among them) are piling up unread, and the silence rule only notices after
   * `silentMs`. A partition whose position stood still longer (idle) stops holding. Must exceed `silentMs` so the
   * two rules overlap. Default: `staleMs` (the time a dead collector's backlogged report is trusted to hold the
   * group anyway; with it, a partition that moved within `staleMs - silentMs` before its owner's last report is
   * covered without a gap from the owner's death until its new owner reports it). 0: off.
   */
  movedWithinMs?: number;
}

interface Reported extends PartitionProgress {
  /** Wall-clock time (`atMs`) of the first report carrying the current `timeMs`: when the position last moved. */
  movedAtMs: number;
}

/**
 * Keeps the partitions of the events topic, across every collector of the group, within `maxSkewMs` of each other
 * in event time. Partitions are read independently, so after a restart, a takeover or a burst one can run hours
 * ahead of another; rules that join across agents (a token issued on one partition, used on another) see facts up
 * to the engines' `token_fact_wait` late, so the allowance must stay below that. A batch is only processed up to
 * {@link limitFor} (the slowest other partition that still has a backlog, plus the allowance); the partition is
 * then paused until the others catch up. Partitions without a backlog never hold others back, so live traffic is
 * not delayed in steady state.
 *
 * Positions come from two places: partitions this collector reads ({@link observe}), and reports from the group
 * ({@link report}, partitions other collectors read, or ones just assigned here and not yet read). Pure
 * bookkeeping: the collector cuts batches and pauses/resumes as told.
 */
export class PartitionPacer {
  private readonly own = new Map<number, { timeMs: number; backlog: boolean; paused: boolean }>();
  private readonly reported = new Map<number, Reported>();
  private readonly movedWithinMs: number;
  /** Last wall-clock time some partition of the group was seen with a backlog (or silent). */
  private busyAtMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly opts: PartitionPacerOptions) {
    this.movedWithinMs = opts.movedWithinMs ?? opts.staleMs;
  }

  /** The partitions now assigned here; the others' positions now come from their owners' reports. */
  assign(partitions: readonly number[]): void {
    for (const p of [...this.own.keys()]) if (!partitions.includes(p)) this.own.delete(p);
  }

  /** A position reported by the group (the partition's owner, wherever it runs); newer reports replace older ones. */
  report(progress: PartitionProgress): void {
    const cur = this.reported.get(progress.partition);
    if (cur && cur.atMs > progress.atMs) return;
    // A heartbeat (same position) keeps the time the position last moved; any other position moved now.
    const movedAtMs = cur && cur.timeMs === progress.timeMs ? cur.movedAtMs : progress.atMs;
    this.reported.set(progress.partition, { ...progress, movedAtMs });
    if (progress.backlog) this.busyAtMs = Math.max(this.busyAtMs, progress.atMs);
  }

  /**
   * Latest event time partition `p` may process now. A partition seen here for the first time goes at most the
   * allowance past its own first event, so every partition reports its position before any runs far ahead.
   */
  limitFor(partition: number, firstTimeMs: number, nowMs: number): number {
    let limit = this.scan(partition, nowMs).floor + this.opts.maxSkewMs;
    if (!this.own.has(partition)) limit = Math.min(limit, firstTimeMs + this.opts.maxSkewMs);
    return limit;
  }

  /** After a batch: the partition's newest processed event time and whether messages remain behind it. */
  observe(partition: number, timeMs: number, backlog: boolean): void {
    const cur = this.own.get(partition);
    if (cur) {
      cur.timeMs = Math.max(cur.timeMs, timeMs);
      cur.backlog = backlog;
    } else this.own.set(partition, { timeMs, backlog, paused: false });
  }

  /** This collector's position on a partition it reads, as it should report it to the group. */
  position(partition: number): { timeMs: number; backlog: boolean } | null {
    const cur = this.own.get(partition);
    return cur ? { timeMs: cur.timeMs, backlog: cur.backlog } : null;
  }

  /** Marks a partition paused (its batch was cut at its limit); {@link plan} says when to resume it. */
  pause(partition: number): void {
    const cur = this.own.get(partition);
    if (cur) cur.paused = true;
  }

  /** Paused partitions that may go on now: the others moved on enough, or none of them has a backlog. */
  plan(nowMs: number): { resume: number[] } {
    const resume: number[] = [];
    for (const [p, s] of this.own) {
      if (!s.paused) continue;
      const floor = this.scan(p, nowMs).floor;
      // Hysteresis: wait until a useful stretch (half the allowance) can be processed.
      if (floor === Number.POSITIVE_INFINITY || s.timeMs < floor + this.opts.maxSkewMs / 2) {
        s.paused = false;
        resume.push(p);
      }
    }
    return { resume };
  }

  /**
   * The fact horizon (+Infinity: none): the event time of the slowest partition of the group that still has a
   * backlog (or went silent), and, while the group has or recently had a backlog, of the slowest partition other
   * collectors report as caught up whose position moved within `movedWithinMs` (its owner may have died with
   * token facts arriving unread). Pacing ({@link limitFor}) does not use the second part: a live partition would
   * then hold a catch-up for as long as it keeps moving, and lost facts are a matter of the horizon alone.
   */
  groupFloor(nowMs: number): number {
    const { floor, moving } = this.scan(-1, nowMs);
    return this.movedWithinMs > 0 && nowMs - this.busyAtMs <= this.movedWithinMs ? Math.min(floor, moving) : floor;
  }

  paused(): number[] {
    return [...this.own].filter(([, s]) => s.paused).map(([p]) => p);
  }

  /**
   * `floor`: event time of the slowest other partition that still has a backlog (+Infinity: none). `moving`: of
   * the slowest other partition reported caught up whose position moved within `movedWithinMs`. Notes whether any
   * partition of the group (`except` included) has a backlog now.
   */
  private scan(except: number, nowMs: number): { floor: number; moving: number } {
    let floor = Number.POSITIVE_INFINITY;
    let moving = Number.POSITIVE_INFINITY;
    let busy = false;
    for (const [p, s] of this.own) {
      if (!s.backlog) continue;
      busy = true;
      if (p !== except && s.timeMs < floor) floor = s.timeMs;
    }
    for (const [p, r] of this.reported) {
      // A partition read here is known first-hand; an old report is not trusted to hold the group back.
      if (this.own.has(p) || nowMs - r.atMs > this.opts.staleMs) continue;
      // Silent: its owner may be gone while messages pile up unread, so it holds the group whatever it last said.
      const silent = this.opts.silentMs !== undefined && nowMs - r.atMs > this.opts.silentMs;
      if (r.backlog || silent) {
        busy = true;
        if (p !== except && r.timeMs < floor) floor = r.timeMs;
      } else if (p !== except && nowMs - r.movedAtMs <= this.movedWithinMs && r.timeMs < moving) moving = r.timeMs;
    }
    if (busy) this.busyAtMs = Math.max(this.busyAtMs, nowMs);
    return { floor, moving };
  }
}
