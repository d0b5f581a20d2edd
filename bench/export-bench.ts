// npm run bench:export (issue 16): what exporting costs and how fast alerts leave.
// 1. The outbox's cost per alert: `insertAlerts` of new alerts (read-modify-write, the outbox rows, the alert rows),
//    next to its floor measured in the same run: a raw INSERT of the same number of outbox rows alone.
// 2. End to end from the store: an ExportWorker draining a backlog of queued versions to a loopback HEC receiver
//    and to an OCSF file (cursor saved per batch), alert versions/s.
// 3. Transport only (bench/export-transports-bench.ts): each transport to its loopback receiver, no store.
// Prints one JSON document. Options: --alerts N (default 5000), --batch N (default 100), --brokers host:port.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createHecTransport, createOcsfFileTransport, ExportWorker, exportFilter, type Transport } from '@agentwatch/exporters';
import type { Alert } from '@agentwatch/schemas';
import { createStore, type Store } from '@agentwatch/store';
import { benchTransports } from './export-transports-bench.ts';

const { values } = parseArgs({
  options: { alerts: { type: 'string', default: '5000' }, batch: { type: 'string', default: '100' }, brokers: { type: 'string', default: '' } },
});
const N = Number(values.alerts);
const BATCH = Number(values.batch);
const ORIGIN = { productVersion: '0.1.0', hostname: 'bench' };

const alertN = (i: number): Alert => ({
  alert_id: `bench-${i.toString(16).padStart(8, '0')}`,
  rule_id: ['scope.tool_outside_registry', 'credential.token_reuse', 'delegation.chain_too_deep'][i % 3] as string,
  rule_version: '1',
  category: (['scope_drift', 'credential', 'delegation'] as const)[i % 3] as Alert['category'],
  severity: (['low', 'medium', 'high', 'critical'] as const)[i % 4] as Alert['severity'],
  risk_score: 40 + (i % 60),
  agent_id: `spiffe://corp.example/agents/bench-${i % 400}`,
  owner: 'owner@corp.example',
  title: `bench alert ${i}`,
  summary: 'The agent called a tool its registry entry does not list, from a session that started elsewhere.',
  first_seen: new Date(1_796_000_000_000 + i * 1000).toISOString(),
  last_seen: new Date(1_796_000_000_000 + i * 1000).toISOString(),
  count: 1,
  evidence: { event_ids: [`e-${i}-1`, `e-${i}-2`], tool: 'erp.invoice.pay', action: 'write', resource: 'erp://invoices' },
  tags: ['owasp-nhi:NHI5'],
  status: 'new',
});

const rate = (n: number, ms: number): number => Math.round((n / ms) * 1000);
const perAlertUs = (ms: number, n: number): number => Math.round(((ms * 1000) / n) * 10) / 10;

async function timed(fn: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** Drains the whole outbox of `store` through `transport` as a fresh exporter starting at seq 0; ms taken. */
async function drain(store: Store, name: string, transport: Transport, total: number): Promise<number> {
  await store.outbox.saveCursor(
    { exporter: name, writer: store.outbox.writer, seq: 0, delivered: 0, failed: 0, filtered: 0, lastDeliveryMs: null, lastError: '', lastErrorAtMs: null },
    Date.now(),
  );
  const worker = new ExportWorker({
    name,
    type: name,
    target: name,
    outbox: store.outbox,
    transport,
    accepts: exportFilter(undefined),
    batchSize: BATCH,
    idlePollMs: 20,
  });
  const t = performance.now();
  await worker.start();
  while (worker.state().delivered < total) {
    if (worker.state().failed > 0 || worker.state().state === 'retrying') throw new Error(`${name}: ${worker.state().lastError}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  const ms = performance.now() - t;
  await worker.stop();
  return ms;
}

const dir = mkdtempSync(join(tmpdir(), 'aw-bench-export-'));
const store = createStore({ dataDir: join(dir, 'ch'), database: 'bench_export' });
await store.migrate();
const alerts = Array.from({ length: N }, (_, i) => alertN(i));

// 1. insertAlerts (outbox included) vs a raw insert of as many outbox rows.
const insertMs = await timed(async () => {
  for (let i = 0; i < N; i += BATCH) await store.insertAlerts(alerts.slice(i, i + BATCH));
});
const rows = alerts.map((a, i) => ({
  writer: 'floor',
  seq: i + 1,
  alert_id: a.alert_id,
  version: 1,
  queued_at: '2026-12-07 00:00:00.000',
  alert: JSON.stringify(a),
}));
const rawOutboxMs = await timed(async () => {
  for (let i = 0; i < N; i += BATCH)
    await store.client.insert({
      table: 'bench_export.alert_outbox',
      values: rows.slice(i, i + BATCH),
      format: 'JSONEachRow',
      clickhouse_settings: { insert_deduplication_token: `floor-${i}` },
    });
});

// 2. End to end from the outbox.
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"text":"Success","code":0}'));
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/collector/event`;
const hecMs = await drain(store, 'hec', createHecTransport({ url, token: 'bench', origin: ORIGIN }), N);
const fileMs = await drain(store, 'ocsf-file', createOcsfFileTransport({ path: join(dir, 'findings.ndjson'), origin: ORIGIN }), N);
server.closeAllConnections();
server.close();
await store.close();

// 3. Transports alone.
const transports = await benchTransports({ versions: N, batch: BATCH, brokers: values.brokers.split(',').filter(Boolean) });
rmSync(dir, { recursive: true, force: true });

console.log(
  JSON.stringify(
    {
      alerts: N,
      batch: BATCH,
      outbox: {
        insert_alerts_us_per_alert: perAlertUs(insertMs, N),
        floor_raw_outbox_insert_us_per_alert: perAlertUs(rawOutboxMs, N),
        note: 'insertAlerts writes the outbox rows and the alert rows after reading the stored alerts; the floor is the outbox rows alone',
      },
      from_store_alert_versions_per_s: { hec: rate(N, hecMs), 'ocsf-file': rate(N, fileMs) },
      transport_only_alert_versions_per_s: Object.fromEntries(transports.map((t) => [t.name, t.perSecond])),
    },
    null,
    2,
  ),
);
