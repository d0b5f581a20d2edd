import type { Alert } from '@agentwatch/schemas';

/** Where an alert version is in its life, as the receiver should read it (OCSF activity_id 1 / 2 / 3). */
export type Activity = 'created' | 'updated' | 'closed';

/**
 * What the outbox knows about one delivery besides the alert itself. Every format carries `alert id + version` so a
 * receiver can drop a repeat (the outbox delivers at least once; the pair makes it exactly once as seen by the receiver).
 */
export interface Delivery {
  /** The exporter's configured name (exporters.md), so a receiver fed by several can tell them apart. */
  exporter: string;
  /** The alert version, 1 for a new alert, +1 for each later change of count, status or severity. */
  version: number;
  activity: Activity;
  /** RFC 3339: when this version was stored. Formats never read the clock, so the same input gives the same bytes. */
  time: string;
}

/** Who is sending: the agentwatch build and the host it runs on (syslog HOSTNAME, HEC host). */
export interface Origin {
  productVersion: string;
  hostname: string;
}

/** Statuses that end an alert's life: a version carrying one of them is a close (OCSF activity 3). */
const CLOSED = new Set<Alert['status']>(['resolved', 'false_positive']);

/** The activity of an alert version: the first version creates, a version that resolves closes, any other updates. */
export function activityOf(status: Alert['status'], version: number): Activity {
  if (CLOSED.has(status)) return 'closed';
  return version <= 1 ? 'created' : 'updated';
}

/** The key a receiver deduplicates on: `<alert_id>:<version>` (the same in every format). */
export const deliveryId = (id: string, version: number): string => `${id}:${version}`;

/** Milliseconds since the epoch of an RFC 3339 time (the schemas accept only valid ones). */
export function epochMs(rfc3339: string): number {
  const ms = Date.parse(rfc3339);
  if (Number.isNaN(ms)) throw new RangeError(`not an RFC 3339 time: ${JSON.stringify(rfc3339)}`);
  return ms;
}

/** Checks the delivery metadata the outbox hands over; a bad one is a programming error, so it throws. */
export function checkDelivery(d: Delivery): void {
  if (!Number.isInteger(d.version) || d.version < 1) throw new RangeError(`delivery version must be an integer >= 1, got ${d.version}`);
  if (!d.exporter) throw new RangeError('delivery exporter name is empty');
  epochMs(d.time);
}
