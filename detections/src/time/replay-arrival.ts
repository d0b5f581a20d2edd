import type { SourceItem } from '../engine/pipeline.ts';
import type { TimeClaimLimits } from './event-time.ts';

type Valid = Extract<SourceItem, { event: unknown }>;

/** How many neighbouring events an arrival estimate looks at: a lie must be the majority of this many in a row to pass. */
export const REPLAY_ARRIVAL_WINDOW = 63;

/**
 * Replay's stand-in for arrival time (events.md 1.1: "the event time the stream has reached stands in for it").
 *
 * A recorded stream was written roughly in order, so an event was recorded no later than the events written right
 * after it. Its arrival is therefore estimated as the **median time of the {@link REPLAY_ARRIVAL_WINDOW} events that
 * follow it** in the file: one event (or any minority of a window) dated 9999 or 1970 cannot move a median, while a
 * genuine gap (a night, a weekend) is followed by events on the far side of the gap, so the first event after it is
 * judged against them and stays plausible. A look-back would flag every gap; a look-ahead does not.
 *
 * Near the end of a stream fewer events follow; the window is filled with the events before it, and an event ahead of
 * that window by up to `max_event_age` is taken as a pause, not a claim (nothing after it can be blinded by it).
 * Stale claims are always judged against the window. Items that already carry an arrival (live sources) and rejects
 * pass through; valid items are released {@link REPLAY_ARRIVAL_WINDOW} events late, in their order.
 */
export class ReplayArrival {
  /** Items waiting for the events after them, oldest first; `sorted` holds the times of all but the first. */
  private readonly queue: Valid[] = [];
  private head = 0;
  private readonly sorted: number[] = [];
  /** Times of the last released events, oldest first, for the end of the stream. */
  private readonly before: number[] = [];

  constructor(
    private readonly limits: TimeClaimLimits,
    private readonly window = REPLAY_ARRIVAL_WINDOW,
  ) {}

  /** Adds an item; appends the items whose arrival is now known to `out` (rejects at once). */
  push(item: SourceItem, out: SourceItem[]): void {
    if ('error' in item || item.arrivalMs !== undefined) {
      out.push(item);
      return;
    }
    if (this.queue.length > this.head) insertSorted(this.sorted, item.timeMs);
    this.queue.push(item);
    if (this.queue.length - this.head > this.window) this.release(out, false);
  }

  /** End of stream: every held item, with its arrival. */
  drain(out: SourceItem[]): void {
    while (this.queue.length > this.head) this.release(out, true);
  }

  private release(out: SourceItem[], ending: boolean): void {
    const item = this.queue[this.head] as Valid;
    this.head++;
    const following = this.sorted.length;
    let arrivalMs: number;
    if (!ending || following * 2 >= this.window) arrivalMs = median(this.sorted);
    else {
      const nearest = [...this.sorted, ...this.before.slice(this.before.length - (this.window - following))].sort((a, b) => a - b);
      const ref = nearest.length > 0 ? median(nearest) : item.timeMs;
      // A pause before the last few events is not a claim; a jump beyond max_event_age is.
      arrivalMs = item.timeMs > ref && item.timeMs - ref <= this.limits.maxEventAgeMs ? item.timeMs : ref;
    }
    item.arrivalMs = arrivalMs;
    out.push(item);
    this.before.push(item.timeMs);
    if (this.before.length > this.window) this.before.shift();
    // The new first item's time leaves the "following" set.
    const next = this.queue[this.head];
    if (next) removeSorted(this.sorted, next.timeMs);
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }
}

/** Gives every event of a replayed source its arrival estimate ({@link ReplayArrival}); batches stay batches. */
export async function* withReplayArrival(source: AsyncIterable<SourceItem[]>, limits: TimeClaimLimits): AsyncGenerator<SourceItem[]> {
  const arrival = new ReplayArrival(limits);
  for await (const batch of source) {
    const out: SourceItem[] = [];
    for (const item of batch) arrival.push(item, out);
    if (out.length > 0) yield out;
  }
  const out: SourceItem[] = [];
  arrival.drain(out);
  if (out.length > 0) yield out;
}

/** The lower median of a sorted, non-empty list. */
function median(sorted: readonly number[]): number {
  return sorted[(sorted.length - 1) >> 1] as number;
}

function lowerBound(a: readonly number[], v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((a[mid] as number) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertSorted(a: number[], v: number): void {
  a.splice(lowerBound(a, v), 0, v);
}

function removeSorted(a: number[], v: number): void {
  const i = lowerBound(a, v);
  if (a[i] === v) a.splice(i, 1);
}
