import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CanonicalEvent } from '@agentwatch/schemas';
import { chTime, eventToRow } from './rows.ts';
import { createStore, type Store } from './store.ts';

export interface InsertRate {
  n: number;
  ms: number;
  eventsPerSec: number;
}

const TOOLS = ['erp.invoice.read', 'erp.invoice.write', 'crm.contact.read', 'mail.send', 'bank.transfer', 'search.web'];

/** `n` synthetic tool_call events for 50 agents, one every 100 ms of event time from `startMs`. */
export function syntheticEvents(n: number, startMs = Date.UTC(2026, 10, 2), prefix = 'bench'): CanonicalEvent[] {
  const out: CanonicalEvent[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      kind: 'tool_call',
      event_id: `${prefix}-${i}`,
      time: new Date(startMs + i * 100).toISOString(),
      agent_id: `spiffe://corp.example/agents/bench-${i % 50}`,
      source: 'otel',
      environment: 'prod',
      session_id: `s-${Math.floor(i / 20)}`,
      tool: TOOLS[i % TOOLS.length] as string,
      action: 'read',
      resource: `erp://invoices/${i % 997}`,
      outcome: i % 53 === 0 ? 'denied' : 'success',
      token_id: `tok-${i % 200}`,
      bytes_out: (i * 37) % 10_000,
      records: i % 7,
    });
  }
  return out;
}

/**
 * Raw insert rate of `n` synthetic events into a plain MergeTree table (`bench_raw_events`, same columns as `events`,
 * no replacing engine, no materialized views): JSONEachRow, 100k rows per INSERT. A floor for pipeline benchmarks.
 * Event generation is outside the timed part; row serialization and the insert are inside.
 */
export async function measureRawInsert(store: Store, n: number): Promise<InsertRate> {
  const db = store.database;
  await store.client.command({
    query: `CREATE TABLE IF NOT EXISTS ${db}.bench_raw_events AS ${db}.events ENGINE = MergeTree PARTITION BY toDate(time) ORDER BY (agent_id, time, event_id)`,
  });
  await store.client.command({ query: `TRUNCATE TABLE ${db}.bench_raw_events` });
  const events = syntheticEvents(n);
  const runId = `${Date.now()}-${Math.random()}`;
  const started = performance.now();
  const ingestedAt = chTime(Date.now());
  for (let i = 0, c = 0; i < n; i += 100_000, c++) {
    const rows = events.slice(i, i + 100_000).map((e) => eventToRow(e, ingestedAt));
    await store.client.insert({
      table: `${db}.bench_raw_events`,
      values: rows,
      format: 'JSONEachRow',
      clickhouse_settings: { insert_deduplication_token: `bench:${runId}:${c}` },
    });
  }
  const ms = performance.now() - started;
  return { n, ms: Math.round(ms), eventsPerSec: Math.round(n / (ms / 1000)) };
}

/** Rate of `store.insertEvents` (the real events table with its materialized views). Writes into `events`. */
export async function measureStoreInsert(store: Store, n: number): Promise<InsertRate> {
  const events = syntheticEvents(n, Date.UTC(2026, 10, 2), `bench-store-${Date.now()}`);
  const started = performance.now();
  await store.insertEvents(events);
  const ms = performance.now() - started;
  return { n, ms: Math.round(ms), eventsPerSec: Math.round(n / (ms / 1000)) };
}

// `npx tsx services/store/src/bench-insert.ts [N]`: chdb in a temporary folder, N events (default 100,000).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const n = Number(process.argv[2] ?? 100_000);
  const dataDir = mkdtempSync(join(tmpdir(), 'agentwatch-bench-'));
  try {
    const t0 = performance.now();
    const store = createStore({
      dataDir,
      database: 'agentwatch_bench',
      ...(process.env['CLICKHOUSE_URL'] ? { clickhouseUrl: process.env['CLICKHOUSE_URL'] } : {}),
    });
    await store.client.query({ query: 'SELECT 1', format: 'JSONEachRow' }).then((r) => r.json());
    const openMs = performance.now() - t0;
    await store.migrate();
    const readyMs = performance.now() - t0;
    const raw = await measureRawInsert(store, n);
    const viaStore = await measureStoreInsert(store, n);
    const t1 = performance.now();
    const counted = await store.countEvents();
    const countMs = performance.now() - t1;
    console.log(
      JSON.stringify(
        {
          engine: store.engine,
          openMs: Math.round(openMs),
          openAndMigrateMs: Math.round(readyMs),
          raw,
          viaStore,
          countEventsFinal: { counted, ms: Math.round(countMs) },
        },
        null,
        2,
      ),
    );
    await store.close();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
