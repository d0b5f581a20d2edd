/**
 * `npm run bench:api`: the analyst's reads at scale (issue 14). Fills an embedded store with BENCH_API_ALERTS alerts
 * (default 1,000,000) and BENCH_API_EVENTS events (default 10,000,000), generated inside ClickHouse (INSERT ... SELECT
 * FROM numbers(), so the fill measures nothing of ours), then serves the API on loopback and times real HTTP requests:
 * the first page of GET /v1/alerts, a filtered page, a `q` search and an alert detail (p50/p95 over BENCH_API_RUNS
 * requests each, after warm-up). The floor, measured in the same run: the first page's SELECT straight through the
 * client, without the API. Also the console's first-load JavaScript, gzipped (what index.html loads before any
 * interaction). Prints one JSON object; exits 0 whatever the numbers (timing is never a pass/fail test).
 * BENCH_API_DIR=DIR keeps the filled store there and reuses it on the next run (the fill takes minutes).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildServer, createMemoryTokenStore } from '@agentwatch/api';
import { CATEGORIES } from '@agentwatch/schemas';
import { createStore, type Store } from '@agentwatch/store';

const ROOT = join(import.meta.dirname, '..');
const ALERTS = Number(process.env['BENCH_API_ALERTS'] ?? 1_000_000);
const EVENTS = Number(process.env['BENCH_API_EVENTS'] ?? 10_000_000);
const RUNS = Number(process.env['BENCH_API_RUNS'] ?? 60);
const AGENTS = 2_000;
const DAYS = 30;
const TARGET_P95_MS = 200;
const TARGET_JS_GZIP_KB = 300;
const TOKEN = 'aw_bench_api_0123456789abcdef';
const DB = 'agentwatch';

const RULES = [
  'scope.tool_outside_registry',
  'credential.ttl_above_max',
  'credential.token_reuse',
  'behavior.volume_spike',
  'behavior.first_seen_tool',
  'delegation.not_allowed',
  'lifecycle.retired_agent_active',
  'runtime.high_consequence_without_approval',
];
const WORDS = ['exfiltration', 'bucket', 'invoice', 'payroll', 'token', 'delegation', 'planner', 'research', 'vault', 'refund'];

/** The id fillAlerts gives alert number n. */
const benchAlertId = (n: number) => createHash('sha256').update(String(n)).digest('hex').slice(0, 32);

const sqlArray = (xs: readonly string[]) => `[${xs.map((x) => `'${x}'`).join(',')}]`;

/** Events of AGENTS agents over DAYS days, in time order; `raw` is the canonical JSON (the detail route parses it). */
async function fillEvents(store: Store, startMs: number): Promise<void> {
  const spanMs = DAYS * 86_400_000;
  await store.client.command({
    query: `
      INSERT INTO ${DB}.events (event_id, time, agent_id, kind, source, environment, session_id, task_id, on_behalf_of,
        delegation_chain, source_ip, tool, action, resource, outcome, decision, token_id, bytes_in, bytes_out, records,
        duration_ms, attributes, raw, ingested_at)
      SELECT event_id, time, agent_id, 'tool_call', 'bench', 'prod', session_id, '', 'user:alice@corp.example',
        ['user:alice@corp.example', agent_id], '10.0.0.1', tool, 'read', resource, 'success', '', token_id, 120, bytes_out, 1,
        12.5, map(), concat('{"kind":"tool_call","event_id":"', event_id, '","time":"', formatDateTime(time, '%Y-%m-%dT%H:%i:%S.000Z', 'UTC'),
          '","agent_id":"', agent_id, '","source":"bench","environment":"prod","session_id":"', session_id,
          '","on_behalf_of":"user:alice@corp.example","delegation_chain":["user:alice@corp.example","', agent_id,
          '"],"tool":"', tool, '","action":"read","resource":"', resource, '","outcome":"success","token_id":"', token_id,
          '","bytes_in":120,"bytes_out":', toString(bytes_out), ',"records":1,"duration_ms":12.5}'), now64(3)
      FROM (
        SELECT concat('evt-', toString(number)) AS event_id,
          fromUnixTimestamp64Milli(toInt64(${startMs} + intDiv(number * ${spanMs}, ${EVENTS})), 'UTC') AS time,
          concat('spiffe://bench.example/agents/a', toString(number % ${AGENTS})) AS agent_id,
          concat('s', toString(intDiv(number, 500))) AS session_id,
          concat('erp.tool', toString(number % 40)) AS tool,
          concat('erp://records/', toString(number % 5000)) AS resource,
          concat('tok-', toString(intDiv(number, 2000))) AS token_id,
          (number * 7919) % 50000 AS bytes_out
        FROM numbers(${EVENTS})
      )
      SETTINGS max_partitions_per_insert_block = 1000`,
  });
}

/**
 * Alerts spread over the same days and agents; each alert's evidence names 5 stored events of its agent. Ids are
 * 32 hex characters of SHA-256 like real ones (alert-id.ts), so the table's order (by alert_id) says nothing of time.
 */
async function fillAlerts(store: Store, startMs: number): Promise<void> {
  const spanMs = DAYS * 86_400_000;
  const perAgent = Math.max(1, Math.floor(EVENTS / AGENTS));
  await store.client.command({
    query: `
      INSERT INTO ${DB}.alerts (alert_id, rule_id, rule_version, category, severity, severity_rank, risk_score, agent_id,
        owner, title, summary, first_seen, last_seen, count, evidence, tags, status, status_changed_at, created_at,
        updated_at, version)
      SELECT substring(lower(hex(SHA256(toString(number)))), 1, 32), rule_id, '1', category, severity, rank, 10 + (number * 37) % 90, agent_id,
        concat('owner', toString(agent % 300), '@corp.example'),
        concat(rule_id, ' by ', agent_id, ': ', w1, ' ', w2),
        concat('The agent touched ', w2, ' records outside its declared scope while working on ', w1, ' tasks.'),
        last_seen - toIntervalMinute(number % 90), last_seen, 1 + number % 12,
        concat('{"event_ids":["', arrayStringConcat(arrayMap(j -> concat('evt-', toString(agent + ${AGENTS} * ((number + j * 97) % ${perAgent}))), range(5)), '","'), '"]}'),
        ['owasp-nhi:NHI5'], if(number % 10 = 0, 'resolved', 'new'), last_seen, last_seen, last_seen, 1
      FROM (
        SELECT number, number % ${AGENTS} AS agent,
          concat('spiffe://bench.example/agents/a', toString(number % ${AGENTS})) AS agent_id,
          ${sqlArray(RULES)}[1 + number % ${RULES.length}] AS rule_id,
          ${sqlArray(CATEGORIES)}[1 + number % ${CATEGORIES.length}] AS category,
          toUInt8(number % 5) AS rank,
          ['info','low','medium','high','critical'][1 + number % 5] AS severity,
          ${sqlArray(WORDS)}[1 + (number * 3) % ${WORDS.length}] AS w1,
          ${sqlArray(WORDS)}[1 + (number * 7 + 1) % ${WORDS.length}] AS w2,
          fromUnixTimestamp64Milli(toInt64(${startMs} + intDiv(number * ${spanMs}, ${ALERTS})), 'UTC') AS last_seen
        FROM numbers(${ALERTS})
      )`,
  });
}

async function count(store: Store, table: string): Promise<number> {
  const rs = await store.client.query({ query: `SELECT count() AS n FROM ${DB}.${table}`, format: 'JSONEachRow' });
  const [row] = await rs.json<{ n: string }>();
  return Number(row?.n ?? 0);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

async function time(runs: number, fn: (i: number) => Promise<void>): Promise<{ p50_ms: number; p95_ms: number; max_ms: number }> {
  for (let i = 0; i < 3; i++) await fn(i);
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn(i);
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 10) / 10;
  return { p50_ms: r(percentile(ms, 0.5)), p95_ms: r(percentile(ms, 0.95)), max_ms: r(ms[ms.length - 1] as number) };
}

/** Gzipped size of the JavaScript index.html loads at start (module scripts and modulepreloads), or null when unbuilt. */
function consoleFirstLoadJs(): { files: string[]; gzip_kb: number } | null {
  const dist = join(ROOT, 'services/console/dist');
  const index = join(dist, 'index.html');
  if (!existsSync(index)) return null;
  const html = readFileSync(index, 'utf8');
  const files = [...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*rel="modulepreload"[^>]*\shref)="([^"]+\.js)"/g)].map((m) => m[1] as string);
  let bytes = 0;
  for (const f of files) bytes += gzipSync(readFileSync(join(dist, f.replace(/^\//, '')))).length;
  return { files, gzip_kb: Math.round(bytes / 102.4) / 10 };
}

async function main(): Promise<void> {
  const keep = process.env['BENCH_API_DIR'];
  const dir = keep ?? mkdtempSync(join(tmpdir(), 'aw-bench-api-'));
  const marker = join(dir, `filled-v2-${ALERTS}-${EVENTS}`);
  const store = createStore({ dataDir: dir, database: DB });
  try {
    await store.migrate();
    const fill = { reused: existsSync(marker), seconds: 0 };
    if (!fill.reused) {
      const t = performance.now();
      const startMs = Date.parse('2026-11-01T00:00:00Z');
      // A kept folder filled by an older version of this bench starts empty again.
      for (const table of ['events', 'agent_hourly', 'alerts']) await store.client.command({ query: `TRUNCATE TABLE IF EXISTS ${DB}.${table}` });
      await fillEvents(store, startMs);
      await fillAlerts(store, startMs);
      await store.client.command({ query: `OPTIMIZE TABLE ${DB}.alerts FINAL` });
      fill.seconds = Math.round((performance.now() - t) / 100) / 10;
      writeFileSync(marker, '');
    }
    const stored = { alerts: await count(store, 'alerts'), events: await count(store, 'events') };

    const app = buildServer({
      store,
      ingest: async () => ({ accepted: 0, rejected: [] }),
      tokens: createMemoryTokenStore(),
      bootstrapToken: TOKEN,
      ready: async () => true,
    });
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const get = async (path: string): Promise<unknown> => {
      const r = await fetch(`${address}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      const body = await r.json();
      if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${JSON.stringify(body)}`);
      return body;
    };
    const measure = async (path: (i: number) => string) => {
      try {
        return { path: path(0), ...(await time(RUNS, async (i) => void (await get(path(i))))) };
      } catch (e) {
        return { path: path(0), error: (e as Error).message.slice(0, 300) };
      }
    };
    const results = {
      first_page: await measure(() => '/v1/alerts?limit=50'),
      filtered_page: await measure(
        (i) =>
          `/v1/alerts?limit=50&severity=high&status=new&category=${CATEGORIES[i % CATEGORIES.length]}&agent_id=spiffe://bench.example/agents/a${(i * 13) % AGENTS}`,
      ),
      q_search: await measure((i) => `/v1/alerts?limit=50&q=${WORDS[i % WORDS.length]}%20${WORDS[(i + 3) % WORDS.length]}`),
      alert_detail: await measure((i) => `/v1/alerts/${benchAlertId((i * 15_485_863) % ALERTS)}`),
    };
    // The floor: the first page's query straight through the client (no HTTP, no API).
    const floor = await time(RUNS, async () => {
      const rs = await store.client.query({ query: `SELECT * FROM ${DB}.alerts FINAL ORDER BY last_seen DESC, alert_id DESC LIMIT 50`, format: 'JSONEachRow' });
      await rs.json();
    });
    await app.close();
    const js = consoleFirstLoadJs();
    const p95s = Object.values(results).map((r) => ('p95_ms' in r ? r.p95_ms : Number.POSITIVE_INFINITY));
    console.log(
      JSON.stringify(
        {
          bench: 'api',
          node: process.version,
          store: 'embedded chdb',
          stored,
          fill,
          runs_per_request: RUNS,
          ...results,
          floor_first_page_sql: floor,
          console_first_load_js: js,
          targets: { p95_ms: TARGET_P95_MS, first_load_js_gzip_kb: TARGET_JS_GZIP_KB },
          meets: { p95: p95s.every((p) => p < TARGET_P95_MS), first_load_js: js ? js.gzip_kb < TARGET_JS_GZIP_KB : null },
        },
        null,
        2,
      ),
    );
  } finally {
    await store.close();
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
