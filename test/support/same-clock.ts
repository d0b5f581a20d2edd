import type { Alert } from '@agentwatch/schemas';

/**
 * The alerts a live run and the replay of its recording must agree on exactly: all but `telemetry_integrity`, whose
 * time is the arrival (the wall clock or Kafka timestamp live; the recorded stream's own time in replay), so its id
 * and first_seen differ by design. {@link implausibleEventIds} compares what those reported instead.
 */
export const sameClockAlerts = <A extends Pick<Alert, 'category'>>(alerts: readonly A[]): A[] => alerts.filter((a) => a.category !== 'telemetry_integrity');

/** The events the telemetry_integrity alerts cite, sorted: the same set live and in replay. */
export const implausibleEventIds = (alerts: readonly Alert[]): string[] =>
  alerts
    .filter((a) => a.category === 'telemetry_integrity')
    .flatMap((a) => a.evidence.event_ids)
    .sort();
