// Prints what an embedded store (chdb data dir) holds, as one JSON line: event rows, distinct event ids and the
// ids themselves, the alerts (FINAL), and the rejected records (source, reason). Run as a child process: chdb allows one data directory per process, so a
// test that inspects two collectors' stores opens each in a process of its own.
import { createStore } from '@agentwatch/store';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: store-contents.ts CLICKHOUSE_DATA_DIR');
const store = createStore({ dataDir, database: 'agentwatch' });
try {
  const q = async <T>(query: string): Promise<T[]> => (await store.client.query({ query, format: 'JSONEachRow' })).json<T>();
  const [counts] = await q<{ n: string }>('SELECT count() AS n FROM agentwatch.events');
  const ids = (await q<{ event_id: string }>('SELECT DISTINCT event_id FROM agentwatch.events')).map((r) => r.event_id);
  const alerts = (await q<{ alert_id: string; count: string }>('SELECT alert_id, count FROM agentwatch.alerts FINAL')).map((a) => ({
    alert_id: a.alert_id,
    count: Number(a.count),
  }));
  const rejected = (await q<{ source: string; reason: string }>('SELECT source, reason FROM agentwatch.rejected_records')).map((r) => ({
    source: r.source,
    reason: r.reason,
  }));
  process.stdout.write(`${JSON.stringify({ rows: Number(counts?.n ?? 0), ids, alerts, rejected })}\n`);
} finally {
  await store.close();
}
