/**
 * How far one partition of the events topic got, as its owner reports it to the rest of the group (on the
 * checkpoints topic). Reported only once the token facts of every message before `nextOffset` are written to the
 * tokens topic, so "processed up to here" also means "its facts are out".
 */
export interface PartitionProgress {
  partition: number;
  /** Next offset to process (decimal string): every message before it is processed and its token facts written. */
  nextOffset: string;
  /** Newest plausible event time of the messages before `nextOffset` (null: none yet). */
  timeMs: number | null;
  /** The partition's end offset (high watermark) as its owner last fetched it (decimal string). */
  endOffset: string;
  /** Wall-clock time of the report: for the log only, never compared (offsets order the reports). */
  atMs: number;
  /**
   * Where the token facts written so far by the reporting collector end on the tokens topic (its partition ->
   * next offset): a reader counts the partition as done up to `nextOffset` only once it has read those facts.
   */
  facts?: Record<string, string>;
}

export interface GroupHorizonOptions {
  /** Event-time allowance: a partition may run this far past the slowest one that is behind its end offset. */
  maxSkewMs: number;
  /**
   * Whether this collector has read the token facts a report stands for (`PartitionProgress.facts`, compared with
   * its view of the tokens topic). Until then a partition reported done still holds the horizon. Default: yes.
   */
  factsRead?: (facts: Readonly<Record<string, string>>) => boolean;
}

/** A partition's processed offset and the event-time position reached there (reports: with their facts' offsets). */
interface Position {
  next: bigint;
  timeMs: number;
  facts?: Record<string, string>;
}

/** A partition's end offset and the end-offset read that gave it (0: a fetch or a report, not a read). */
interface End {
  end: bigint;
  read: number;
}

/**
 * The newest plausible event time among a batch's events (-Infinity: none). Times the engine does not believe
 * (implausibly far from their arrival) never become a partition's position, so a hostile agent's far-future event
 * cannot move the horizon or the pacing.
 */
export function newestPlausible(items: Iterable<{ timeMs: number; plausible: boolean }>): number {
  let newest = Number.NEGATIVE_INFINITY;
  for (const i of items) if (i.plausible && i.timeMs > newest) newest = i.timeMs;
  return newest;
}

/**
 * The group's view of every partition of the events topic, from Kafka offsets: for each partition its end offset
 * (a broker fact: fetch responses' high watermark, periodic end-offset reads) and the offset its owner processed,
 * with the event-time position reached there (this collector's own partitions first-hand, the others from their
 * owners' reports). It answers two questions:
 *
 * - **Fact horizon** ({@link factHorizon}): until what event time a token fact from another partition can still
 *   arrive, so a held token use may be let go. A partition whose processed offset reached its end offset is idle and
 *   holds nothing (stream processors' per-partition watermark idleness); one that is behind holds the horizon at its
 *   position. A dead owner's last report stays true as an offset fact: when messages land on its partition, the end
 *   offset moves past the reported offset and the partition holds until its new owner reports, with no timer.
 *   Idleness is believed only from an end offset read after the batch asking was fetched ({@link needsEnds}), so a
 *   message already in the topic when a use is let go is never overlooked.
 * - **Pacing** ({@link limitFor}, {@link plan}): a partition may run at most `maxSkewMs` of event time past the
 *   slowest other partition that is behind, which bounds what engines hold during a catch-up.
 *
 * Pure bookkeeping: the collector feeds it offsets and positions, reads end offsets when told, and pauses/resumes.
 */
export class GroupHorizon {
  /** Partitions this collector read, with their position (first-hand); `paused` by the pacing. */
  private readonly own = new Map<number, Position & { paused: boolean }>();
  /** Positions reported by the group (any owner, this collector included), the highest processed offset per partition. */
  private readonly reported = new Map<number, Position>();
  private readonly ends = new Map<number, End>();
  /**
   * Partitions taken away while paused: the consumer (kafkajs) keeps a partition paused across rebalances, so
   * {@link plan} resumes them there, or one that comes back would never be fetched again (and, behind its end, hold
   * every other partition's pacing for good: the soak's stall).
   */
  private readonly released = new Set<number>();
  /** End-offset reads begun so far (each read is numbered by this count when it begins). */
  private readsBegun = 0;

  constructor(private readonly opts: GroupHorizonOptions) {}

  /** The partitions now assigned here; the others' positions now come from their owners' reports. */
  assign(partitions: readonly number[]): void {
    for (const [p, s] of [...this.own]) {
      if (partitions.includes(p)) continue;
      if (s.paused) this.released.add(p);
      this.own.delete(p);
    }
  }

  /** Numbers an end-offset read about to begin; pass the number to {@link endsRead} with its result. */
  beginEndsRead(): number {
    return ++this.readsBegun;
  }

  /** The result of an end-offset read (e.g. `admin.fetchTopicOffsets`): every partition of the topic. */
  endsRead(read: number, ends: ReadonlyArray<{ partition: number; high: string }>): void {
    for (const { partition, high } of ends) this.raiseEnd(partition, BigInt(high), read);
  }

  /** The number of the newest end-offset read begun: a batch notes it when it arrives (see {@link needsEnds}). */
  readsSoFar(): number {
    return this.readsBegun;
  }

  /** A fetch of one of this collector's partitions: its high watermark. */
  fetched(partition: number, highWatermark: bigint): void {
    this.raiseEnd(partition, highWatermark, 0);
  }

  /** After a batch of a partition read here: the next offset to process and the newest plausible event time so far. */
  observe(partition: number, nextOffset: bigint, timeMs: number): void {
    const cur = this.own.get(partition);
    if (cur) {
      cur.next = nextOffset > cur.next ? nextOffset : cur.next;
      cur.timeMs = Math.max(cur.timeMs, timeMs);
    } else this.own.set(partition, { next: nextOffset, timeMs, paused: false });
  }

  /** A partition's progress as its owner reported it. The highest processed offset wins, whoever reported it. */
  report(p: PartitionProgress): void {
    const next = BigInt(p.nextOffset);
    const timeMs = p.timeMs ?? Number.NEGATIVE_INFINITY;
    const cur = this.reported.get(p.partition);
    // A new owner restored from an older checkpoint reports lower offsets while it re-reads what the dead owner had
    // done (and written the facts of): the dead owner's report stays the truth until the new owner passes it.
    if (!cur || next > cur.next || (next === cur.next && timeMs > cur.timeMs))
      this.reported.set(p.partition, p.facts ? { next, timeMs, facts: p.facts } : { next, timeMs });
    this.raiseEnd(p.partition, BigInt(p.endOffset), 0);
  }

  /** This collector's position on a partition it reads (to report to the group once its facts are written). */
  position(partition: number): { nextOffset: bigint; timeMs: number; endOffset: bigint } | null {
    const cur = this.own.get(partition);
    return cur ? { nextOffset: cur.next, timeMs: cur.timeMs, endOffset: this.ends.get(partition)?.end ?? cur.next } : null;
  }

  /** Whether partition `p` has messages its owner has not processed (null: its end offset was never read). */
  behind(partition: number): boolean | null {
    const end = this.ends.get(partition);
    if (!end) return null;
    return this.positionOf(partition).next < end.end;
  }

  /**
   * Whether the batch of `partition` that arrived when {@link readsSoFar} was `since` needs a fresh end-offset read
   * before the {@link factHorizon} can let it go of anything: some other partition looks idle, but only by an end
   * offset read before the batch was fetched (messages may have landed on it since), or the topic's partitions were
   * never read at all.
   */
  needsEnds(partition: number, since: number): boolean {
    if (this.readsBegun === 0 && this.ends.size === 0) return true;
    for (const p of this.partitions()) {
      if (p === partition) continue;
      const end = this.ends.get(p);
      if (!end) return true;
      if (this.positionOf(p).next >= end.end && end.read <= since) return true;
    }
    return false;
  }

  /**
   * The fact horizon (+Infinity: none) for a batch of `partition` that arrived when {@link readsSoFar} was `since`:
   * the lowest position among partitions that are behind their end offset, or that look idle only by an end offset
   * read before the batch (unconfirmed: they hold too, so a failed or skipped read errs on the side of waiting).
   * The batch's own partition is judged by its fetch (its own facts reach its engine in order anyway).
   */
  factHorizon(partition: number, since: number): number {
    let horizon = Number.POSITIVE_INFINITY;
    for (const p of this.partitions()) {
      const pos = this.positionOf(p);
      const end = this.ends.get(p);
      // A reported partition's facts travel on the tokens topic, its report on the checkpoints topic: done only
      // once those facts are read here.
      const unread = pos.facts !== undefined && !(this.opts.factsRead?.(pos.facts) ?? true);
      const holds = !end || pos.next < end.end || (p !== partition && end.read <= since) || unread;
      if (holds && pos.timeMs < horizon) horizon = pos.timeMs;
    }
    return horizon;
  }

  /**
   * Latest event time `partition` may process now: the slowest other partition that is behind, plus the allowance.
   * A partition seen here for the first time goes at most the allowance past its own first event, so every
   * partition reports its position before any runs far ahead.
   */
  limitFor(partition: number, firstTimeMs: number): number {
    let limit = this.floor(partition) + this.opts.maxSkewMs;
    if (!this.own.has(partition)) limit = Math.min(limit, firstTimeMs + this.opts.maxSkewMs);
    return limit;
  }

  /**
   * Marks a partition read here paused (its batch was cut at its limit); {@link plan} says when to resume it. False
   * (nothing to pause in the consumer) for a partition not read here: no pause may outlive what resumes it.
   */
  pause(partition: number): boolean {
    const cur = this.own.get(partition);
    if (cur) cur.paused = true;
    return cur !== undefined;
  }

  /**
   * Paused partitions that may go on now: the others moved on enough, or none of them is behind; and those taken
   * away while paused (see {@link assign}).
   */
  plan(): { resume: number[] } {
    const resume: number[] = [...this.released];
    this.released.clear();
    for (const [p, s] of this.own) {
      if (!s.paused) continue;
      const floor = this.floor(p);
      // Hysteresis: wait until a useful stretch (half the allowance) can be processed.
      if (floor === Number.POSITIVE_INFINITY || s.timeMs < floor + this.opts.maxSkewMs / 2) {
        s.paused = false;
        resume.push(p);
      }
    }
    return { resume };
  }

  paused(): number[] {
    return [...this.own].filter(([, s]) => s.paused).map(([p]) => p);
  }

  /**
   * Event time of the slowest partition other than `except` known to be behind its end offset (+Infinity: none).
   * Only partitions with a position (read here or reported) count: at the group's start none has one, and each
   * would wait for the others forever (the fact horizon still holds for them).
   */
  private floor(except: number): number {
    let floor = Number.POSITIVE_INFINITY;
    for (const p of this.partitions()) {
      if (p === except) continue;
      const end = this.ends.get(p);
      if (!end || (!this.own.has(p) && !this.reported.has(p))) continue;
      const pos = this.positionOf(p);
      if (pos.next < end.end && pos.timeMs < floor) floor = pos.timeMs;
    }
    return floor;
  }

  /**
   * The further of the first-hand position (read here) and the group's highest report; nothing known: offset 0 at no
   * event time (holds if not empty). A report past the first-hand position means another owner processed further
   * (and wrote the facts) while this collector still counted the partition as its own: a member dropped from the
   * group and given the same partitions back sees no revocation. Kept first-hand, that stale position stood for good
   * once the partition had no more messages to fetch, and held the pacing of every other partition (the soak stall).
   */
  private positionOf(partition: number): Position {
    const own = this.own.get(partition);
    const reported = this.reported.get(partition);
    if (own && (!reported || own.next >= reported.next)) return own;
    return reported ?? { next: 0n, timeMs: Number.NEGATIVE_INFINITY };
  }

  private partitions(): Set<number> {
    return new Set([...this.ends.keys(), ...this.own.keys(), ...this.reported.keys()]);
  }

  private raiseEnd(partition: number, end: bigint, read: number): void {
    const cur = this.ends.get(partition);
    if (!cur) this.ends.set(partition, { end, read });
    else {
      if (end > cur.end) cur.end = end;
      if (read > cur.read) cur.read = read;
    }
  }
}
