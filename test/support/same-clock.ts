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

/** `GET /v1/alerts?format=ndjson` of a running `up`: the ids of its same-clock alerts, sorted. */
export async function servedSameClockAlertIds(base: string, headers: Record<string, string>): Promise<string[]> {
  const res = await fetch(`${base}/v1/alerts?format=ndjson`, { headers });
  if (res.status !== 200) throw new Error(`GET /v1/alerts: ${res.status}`);
  const alerts = (await res.text())
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Alert);
  return sameClockAlerts(alerts)
    .map((a) => a.alert_id)
    .sort();
}
