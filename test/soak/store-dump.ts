// Prints what one collector's embedded store holds, as the checker needs it (checker.ts StoreDump), as one JSON line.
// Run as a child process once that collector has exited: chdb opens one data dir per process.
import { createStore } from '@agentwatch/store';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: store-dump.ts CLICKHOUSE_DATA_DIR');
const store = createStore({ dataDir, database: 'agentwatch' });
try {
  const q = async <T>(query: string): Promise<T[]> => (await store.client.query({ query, format: 'JSONEachRow' })).json<T>();
  const events = await q<{ event_id: string; n: string }>('SELECT event_id, count() AS n FROM agentwatch.events FINAL GROUP BY event_id');
  const alerts = await q<{ alert_id: string; count: string; rows: string }>(
    // telemetry_integrity alerts are timed by arrival, not by the events: left out, as from replay's (same-clock.ts).
    "SELECT alert_id, max(count) AS count, count() AS rows FROM agentwatch.alerts FINAL WHERE category != 'telemetry_integrity' GROUP BY alert_id",
  );
  const [raw] = await q<{ n: string }>('SELECT count() AS n FROM agentwatch.events');
  process.stdout.write(
    `${JSON.stringify({
      ids: events.map((e) => e.event_id),
      duplicateIds: events.filter((e) => Number(e.n) > 1).map((e) => e.event_id),
      alerts: alerts.map((a) => ({ alert_id: a.alert_id, count: Number(a.count), rows: Number(a.rows) })),
      rawRows: Number(raw?.n ?? 0),
    })}\n`,
  );
} finally {
  await store.close();
}
