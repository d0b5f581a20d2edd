/**
 * npm run bench:api: GET /v1/alerts latency on a big embedded store (issue 14 "Done means"). Generates 1,000,000
 * alerts and 10,000,000 events inside ClickHouse (INSERT ... SELECT FROM numbers(), not through JS), then times the
 * first page, a filtered page, a `q` search and an alert detail through the server (app.inject). Prints JSON with the
 * targets. Sizes: AGENTWATCH_BENCH_ALERTS, AGENTWATCH_BENCH_EVENTS, runs: AGENTWATCH_BENCH_RUNS.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildServer, createTokenStore } from '@agentwatch/api';
import { createStore } from '@agentwatch/store';

const ALERTS = Number(process.env.AGENTWATCH_BENCH_ALERTS ?? 1_000_000);
const EVENTS = Number(process.env.AGENTWATCH_BENCH_EVENTS ?? 10_000_000);
const RUNS = Number(process.env.AGENTWATCH_BENCH_RUNS ?? 40);
const AGENTS = 2000;
const TARGET_P95_MS = 200;
const TARGET_CONSOLE_JS_GZIP_BYTES = 300 * 1024;

const dir = mkdtempSync(join(tmpdir(), 'agentwatch-api-bench-'));
const store = createStore({ dataDir: dir, database: 'bench' });
try {
  await store.migrate();
  const db = store.database;
  const t0 = performance.now();
  // Events: one agent per event_id % AGENTS, one a second from 2026-10-01 (about 116 days for 10M).
  await store.client.command({
    query: `INSERT INTO ${db}.events (event_id, time, agent_id, kind, tool, outcome, token_id, raw, ingested_at)
      SELECT concat('ev-', toString(number)) AS id, toDateTime64('2026-10-01 00:00:00', 3, 'UTC') + toIntervalSecond(number) AS t,
             concat('spiffe://corp.example/agents/a', toString(number % ${AGENTS})) AS agent, 'tool_call', 'erp.invoice.read', 'success',
             concat('tok-', toString(intDiv(number, 50000))),
             concat('{"kind":"tool_call","event_id":"', id, '","time":"', formatDateTime(t, '%Y-%m-%dT%H:%i:%SZ', 'UTC'), '","agent_id":"', agent,
                    '","tool":"erp.invoice.read","outcome":"success"}'),
             now64(3)
      FROM numbers(${EVENTS})`,
    clickhouse_settings: { max_partitions_per_insert_block: 1000, insert_deduplicate: 0 },
  });
  const eventsSec = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  // Alerts: alert n quotes event n*10 (its agent), so the detail finds its evidence.
  await store.client.command({
    query: `INSERT INTO ${db}.alerts
      SELECT concat('al-', leftPad(toString(number), 8, '0')),
             ['scope.tool_outside_registry', 'credential.token_ttl_exceeds_max', 'behavior.volume_spike'][number % 3 + 1],
             '1', ['scope_drift', 'credential', 'behavior_drift'][number % 3 + 1],
             ['info', 'low', 'medium', 'high', 'critical'][number % 5 + 1], number % 5, toUInt8(number % 101),
             concat('spiffe://corp.example/agents/a', toString((number * 10) % ${AGENTS})),
             concat('owner', toString((number * 10) % ${AGENTS} % 50), '@corp.example'),
             if(number % 97 = 0, 'Possible data exfiltration to an external bucket', concat('Tool outside registry (', toString(number % 1000), ')')),
             'The agent called a tool its registry entry does not list.',
             toDateTime64('2026-10-01 00:00:00', 3, 'UTC') + toIntervalSecond(number * 10),
             toDateTime64('2026-10-01 00:00:00', 3, 'UTC') + toIntervalSecond(number * 10 + number % 3600),
             1, concat('{"event_ids":["ev-', toString(number * 10), '"]}'),
             if(number % 2 = 0, ['owasp-nhi:NHI5', 'mitre:T1078'], ['owasp-nhi:NHI5']),
             ['new', 'acknowledged', 'resolved'][number % 3 + 1], if(number % 10 = 0, 'dana@corp.example', NULL),
             toDateTime64(0, 3, 'UTC'), now64(3), now64(3), 1
      FROM numbers(${ALERTS})`,
    clickhouse_settings: { insert_deduplicate: 0 },
  });
  const alertsSec = (performance.now() - t1) / 1000;

  const tokens = createTokenStore(store);
  const { token } = await tokens.createToken('viewer');
  const app = buildServer({ store, tokens, ingest: async () => ({ accepted: 0, rejected: [] }), ready: async () => true });
  await app.ready();
  const headers = { authorization: `Bearer ${token}` };
  const detailId = `al-${String(Math.floor(ALERTS / 2)).padStart(8, '0')}`;
  const cases: Record<string, string> = {
    first_page: '/v1/alerts',
    filtered_page: '/v1/alerts?severity=high&status=new&tag=mitre:T1078&sort=-risk_score',
    q_search: '/v1/alerts?q=exfiltration+bucket',
    alert_detail: `/v1/alerts/${detailId}`,
  };
  const results: Record<string, { p50_ms: number; p95_ms: number; target_p95_ms: number; ok: boolean; results: number }> = {};
  for (const [name, url] of Object.entries(cases)) {
    const times: number[] = [];
    let size = 0;
    for (let i = 0; i < RUNS + 3; i++) {
      const s = performance.now();
      const r = await app.inject({ method: 'GET', url, headers });
      const ms = performance.now() - s;
      if (r.statusCode !== 200) throw new Error(`${url}: ${r.statusCode} ${r.body.slice(0, 300)}`);
      const j = r.json() as { alerts?: unknown[]; events?: unknown[] };
      size = j.alerts?.length ?? j.events?.length ?? 0;
      if (i >= 3) times.push(ms); // the first runs warm caches
    }
    times.sort((a, b) => a - b);
    const pct = (p: number) => Math.round((times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)] as number) * 10) / 10;
    results[name] = { p50_ms: pct(50), p95_ms: pct(95), target_p95_ms: TARGET_P95_MS, ok: pct(95) < TARGET_P95_MS, results: size };
  }
  await app.close();
  console.log(
    JSON.stringify(
      {
        store: store.engine,
        alerts: ALERTS,
        events: EVENTS,
        runs: RUNS,
        generate_seconds: { events: Math.round(eventsSec * 10) / 10, alerts: Math.round(alertsSec * 10) / 10 },
        results,
        // Measured by the console's build (another engineer): filled in there.
        console_first_load_js_gzip_bytes: null,
        target_console_js_gzip_bytes: TARGET_CONSOLE_JS_GZIP_BYTES,
      },
      null,
      2,
    ),
  );
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
