/**
 * Event time is a claim (events.md 1.1). A source sets `time`, and a compromised agent controls its source, so an
 * event's time is compared with when agentwatch received it (its *arrival*) before it may move any clock: engine
 * watermark, dedup windows, token expiry, baselines, partition and group positions. This module is the one place
 * that decides; every path (replay, HTTP, Kafka) asks it.
 *
 * Whose clock gives the arrival:
 * - HTTP ingest (`up` without Kafka): the server's wall clock when the request arrived (after a restart the
 *   store's `ingested_at` of the stored event, so a re-read is judged as it was the first time);
 * - Kafka: the message timestamp (set by agentwatch's own producers to the arrival; by other producers, whom
 *   the topic ACLs admit), never later than the consumer's wall clock;
 * - replay: no arrival exists, so the time the recorded stream had reached where the event sits stands in for it
 *   ({@link ReplayArrival}).
 */

/** What the arrival says about an event's claimed time. */
export type TimeVerdict = 'plausible' | 'future' | 'stale';

/** The two bounds of events.md 1.1, in ms (`max_future_skew`, `max_event_age` of the detection config). */
export interface TimeClaimLimits {
  readonly maxFutureSkewMs: number;
  readonly maxEventAgeMs: number;
}

/**
 * Judges an event's time against its arrival: `future` when it claims to be more than `max_future_skew` after its
 * arrival, `stale` when more than `max_event_age` before, else `plausible`. No arrival (in-memory tests and
 * fixtures without one): plausible.
 */
export function judgeEventTime(timeMs: number, arrivalMs: number | undefined, limits: TimeClaimLimits): TimeVerdict {
  if (arrivalMs === undefined) return 'plausible';
  if (timeMs > arrivalMs + limits.maxFutureSkewMs) return 'future';
  if (timeMs < arrivalMs - limits.maxEventAgeMs) return 'stale';
  return 'plausible';
}

/** An event whose time the engine did not believe, as the `telemetry_integrity` rules see it (`ctx.timeClaim`). */
export interface TimeClaim {
  readonly verdict: Exclude<TimeVerdict, 'plausible'>;
  readonly claimedMs: number;
  readonly arrivalMs: number;
}

/** The arrival clock a live source reads: wall-clock ms, passed in so callers stay testable. */
export const kafkaArrivalMs = (messageTimestampMs: number, wallClockMs: number): number =>
  Number.isFinite(messageTimestampMs) && messageTimestampMs > 0 ? Math.min(messageTimestampMs, wallClockMs) : wallClockMs;
