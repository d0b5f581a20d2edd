// The kafka exporter through `agentwatch up` across broker outages and a SIGKILL (issue 16, exporters.md): `up`
// WITHOUT Kafka ingest (events over HTTP) and one exporter `type: kafka` whose `brokers` name this file's own broker
// (test/support/own-broker.ts). A simulated fleet goes in in three parts; analysts change statuses. The broker is
// halted mid-stream (keeping its data) and resumed: the same `up` reconnects and drains its backlog. Halted again,
// `up` is SIGKILLed while versions are pending; the broker comes back and `up` restarts on the same data. Read back
// from the topic's beginning with kcat (librdkafka, not the exporter's kafkajs): per alert, versions 1..n without a gap
// by the `agentwatch-delivery-id` header, all in one partition and in order, the last record's value as stored
// (count, status, severity), repeats within one batch.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Alert } from '@agentwatch/schemas';
import { simulateFleet } from '@agentwatch/simulator';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kafkaBrokersOrFail } from './support/kafka-suite.ts';
import { type OwnBroker, ownBroker } from './support/own-broker.ts';
import { recentStart } from './support/recent-start.ts';
import { killAll, postEvents, spawnUp, type UpProcess, waitFor } from './support/up-process.ts';

const brokers = kafkaBrokersOrFail('agentwatch up: the kafka exporter across a broker outage');
const TOKEN = 'aw_test_bootstrap_token_export_kafka_0001';
const auth = { Authorization: `Bearer ${TOKEN}` };
const EXPORTER = 'alerts-topic';
/**
 * Alert versions per send: the most one interrupted send can repeat (a batch the halted broker wrote but could not
 * acknowledge; the second halt comes when the exporter is idle, and the SIGKILL when nothing could be delivered).
 */
const BATCH = 20;

/** One record of the topic as kcat -J prints it (headers as a flat [name, value, ...] list). */
interface KcatRecord {
  partition: number;
  offset: number;
  key: string | null;
  payload: string | null;
  headers?: string[];
}

/** One record read back: where it is and which alert version it carries. */
interface Got {
  partition: number;
  offset: number;
  key: string | null;
  alertId: string;
  version: number;
  alert: Alert;
}

/** Every record of `topic` from the beginning to its end, with kcat (exits at the end of every partition). */
function readTopic(address: string, topic: string): Got[] {
  const out = execFileSync('kcat', ['-C', '-b', address, '-t', topic, '-o', 'beginning', '-e', '-q', '-J'], { encoding: 'utf8', timeout: 60_000 });
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const r = JSON.parse(l) as KcatRecord;
      const h = r.headers ?? [];
      const at = h.indexOf('agentwatch-delivery-id');
      const id = at >= 0 && at % 2 === 0 ? (h[at + 1] ?? '') : '';
      const i = id.lastIndexOf(':');
      return {
        partition: r.partition,
        offset: r.offset,
        key: r.key,
        alertId: id.slice(0, i),
        version: Number(id.slice(i + 1)),
        alert: JSON.parse(r.payload ?? 'null') as Alert,
      };
    })
    .sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

/** The metric samples of `name` in a Prometheus text exposition, as label text -> value. */
function samples(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`).exec(line);
    if (m) out.set(m[1] ?? '', Number(m[2]));
  }
  return out;
}

describe.skipIf(brokers.length === 0 || inject('kcatUnavailable') !== '')('agentwatch up: the kafka exporter across a broker outage and a SIGKILL', () => {
  const topic = `aw-export-outage-${randomUUID().slice(0, 8)}`;
  const dir = mkdtempSync(join(tmpdir(), 'aw-export-kafka-'));
  const procs: UpProcess[] = [];
  let broker: OwnBroker;
  let lines: string[] = [];
  let lastStatus = '';
  /** For a timeout's message: the exporters as last seen and `up`'s export log lines. */
  const context = (up: UpProcess) => () =>
    `exporters: ${lastStatus}\n${up
      .stderr()
      .split('\n')
      .filter((l) => l.includes('export') || l.includes('"level":50'))
      .join('\n')}`;

  const start = async (): Promise<{ up: UpProcess; base: string }> => {
    const up = spawnUp(
      ['--config', join(dir, 'agentwatch.yaml'), '--registry', join(dir, 'registry.yaml'), '--data', join(dir, 'data'), '--listen', '127.0.0.1:0'],
      { AGENTWATCH_BOOTSTRAP_TOKEN: TOKEN, KAFKA_BROKERS: '', CLICKHOUSE_URL: '' },
    );
    procs.push(up);
    return { up, base: await up.base };
  };
  const exporter = async (base: string) => {
    const res = await fetch(`${base}/v1/exporters`, { headers: auth });
    expect(res.status).toBe(200);
    lastStatus = await res.clone().text();
    const all = (
      (await res.json()) as {
        exporters: Array<{ name: string; type: string; state: string; pending: number; delivered: number; failed: number; last_error: string | null }>;
      }
    ).exporters;
    expect(all.map((e) => `${e.name} (${e.type})`)).toEqual([`${EXPORTER} (kafka)`]);
    return all[0] as (typeof all)[number];
  };
  const alertsOf = async (base: string): Promise<Alert[]> => {
    const res = await fetch(`${base}/v1/alerts?format=ndjson`, { headers: auth });
    return (await res.text())
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Alert);
  };
  /** `n` alerts nobody triaged yet (so a status change is a new version). */
  const untouched = async (base: string, n: number): Promise<Alert[]> => (await alertsOf(base)).filter((a) => a.status === 'new').slice(0, n);
  /** Analysts at work: status changes are alert versions too. */
  const triage = async (base: string, alerts: Alert[], status: string): Promise<void> => {
    for (const a of alerts) {
      const res = await fetch(`${base}/v1/alerts/${a.alert_id}/status`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ status, comment: 'kafka outage test' }),
      });
      expect(res.status).toBe(200);
    }
  };

  beforeAll(async () => {
    await simulateFleet({ agents: 10, days: 8, seed: 41, outDir: dir, start: recentStart(8) });
    lines = readFileSync(join(dir, 'events.ndjson'), 'utf8').split('\n').filter(Boolean);
    broker = await ownBroker();
    await broker.start();
    writeFileSync(
      join(dir, 'agentwatch.yaml'),
      JSON.stringify({
        checkpoint_interval: '1s',
        exporters: [
          {
            name: EXPORTER,
            type: 'kafka',
            topic,
            brokers: [broker.address],
            batch_size: BATCH,
            // Generous: a produce that times out on a busy machine is sent again (a repeat).
            timeout: '5s',
            filter: { statuses: ['new', 'acknowledged', 'resolved', 'false_positive', 'suppressed'] },
          },
        ],
      }),
    );
  }, 300_000);

  afterAll(async () => {
    await killAll(procs);
    await broker?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every alert version on the topic, in order per alert and partition, none lost, repeats only within the crash window', async () => {
    // The fleet's attacks start after its learning days: the first part ends where the first alerts are.
    const [cutA, cutB] = [Math.floor(lines.length * 0.68), Math.floor(lines.length * 0.86)];
    // 1. Broker up: the first part, some triage, the first versions on the topic.
    const first = await start();
    await postEvents(first.base, auth, lines.slice(0, cutA));
    const early = await waitFor(
      'alerts from the first part',
      async () => {
        const a = await alertsOf(first.base);
        return a.length >= 3 ? a : null;
      },
      60_000,
      context(first.up),
    );
    await triage(first.base, early.slice(0, 3), 'acknowledged');
    await waitFor('the first alerts delivered', async () => ((await exporter(first.base)).delivered > 0 ? true : null), 60_000, context(first.up));

    // 2. The broker goes down (its data kept); the second part goes in; versions pile up as pending. The broker
    // comes back and the same `up` (its producer connected before the outage) drains the backlog.
    const retrying = (base: string, up: UpProcess) =>
      waitFor(
        'the kafka exporter retrying with a backlog',
        async () => {
          const e = await exporter(base);
          return e.state === 'retrying' && e.pending > 0 && e.last_error ? e : null;
        },
        90_000,
        context(up),
      );
    const caughtUp = (base: string, up: UpProcess) =>
      waitFor(
        'the kafka exporter caught up',
        async () => {
          const e = await exporter(base);
          return e.pending === 0 && e.state === 'idle' ? e : null;
        },
        120_000,
        context(up),
      );
    await broker.halt();
    await postEvents(first.base, auth, lines.slice(cutA, cutB));
    await triage(first.base, await untouched(first.base, 2), 'resolved');
    expect((await retrying(first.base, first.up)).last_error).toContain(topic);
    await broker.resume();
    const before = await caughtUp(first.base, first.up);

    // 3. Down again: triage makes new versions that stay pending; SIGKILL while they do.
    await broker.halt();
    await triage(first.base, await untouched(first.base, 3), 'acknowledged');
    expect((await retrying(first.base, first.up)).delivered).toBe(before.delivered);
    first.up.proc.kill('SIGKILL');
    expect((await first.up.exited).signal).toBe('SIGKILL');

    // 4. The broker back with its data, `up` restarted on the same data: the backlog drains; the last part, more triage.
    await broker.resume();
    const second = await start();
    await postEvents(second.base, auth, lines.slice(cutB));
    await triage(second.base, await untouched(second.base, 3), 'false_positive');
    const done = await caughtUp(second.base, second.up);
    const alerts = await alertsOf(second.base);
    const metrics = await (await fetch(`${second.base}/metrics`, { headers: auth })).text();
    second.up.proc.kill('SIGTERM');
    expect(await second.up.exited).toEqual({ code: 0, signal: null });

    // 5. The topic from its beginning: every alert, versions 1..n, one partition each, in order; the last as stored.
    expect(alerts.length).toBeGreaterThan(10);
    const got = readTopic(broker.address, topic);
    const byAlert = new Map<string, Got[]>();
    for (const g of got) {
      expect(g.key, `record ${g.partition}@${g.offset}: key = alert_id`).toBe(g.alertId);
      expect(g.alert.alert_id, `record ${g.partition}@${g.offset}: value is its alert`).toBe(g.alertId);
      byAlert.set(g.alertId, [...(byAlert.get(g.alertId) ?? []), g]);
    }
    expect([...byAlert.keys()].sort(), 'the alerts on the topic').toEqual(alerts.map((a) => a.alert_id).sort());
    let repeats = 0;
    for (const a of alerts) {
      const rs = byAlert.get(a.alert_id) as Got[];
      expect(new Set(rs.map((r) => r.partition)).size, `${a.alert_id}: one partition`).toBe(1);
      // In offset order a version is at most one past the highest before it (a repeat goes back, never skips ahead).
      let high = 0;
      for (const r of rs) {
        expect(r.version, `${a.alert_id}: version at offset ${r.offset} after ${high}`).toBeLessThanOrEqual(high + 1);
        if (r.version <= high) repeats++;
        high = Math.max(high, r.version);
      }
      const versions = [...new Set(rs.map((r) => r.version))].sort((x, y) => x - y);
      expect(versions, `${a.alert_id}: versions without a gap`).toEqual(Array.from({ length: high }, (_, i) => i + 1));
      const last = rs.find((r) => r.version === high) as Got;
      expect({ count: last.alert.count, status: last.alert.status, severity: last.alert.severity }, `${a.alert_id}: last version as stored`).toEqual({
        count: a.count,
        status: a.status,
        severity: a.severity,
      });
    }
    expect(new Set(got.map((g) => g.partition)).size, 'alerts spread over partitions').toBeGreaterThan(1);
    expect(repeats, 'repeats (the crash window)').toBeLessThanOrEqual(BATCH);
    expect(done.failed).toBe(0);
    expect(done.delivered).toBeGreaterThanOrEqual(alerts.length);
    const delivered = samples(metrics, 'agentwatch_exporter_delivered');
    expect(delivered.get(`{exporter="${EXPORTER}",type="kafka"}`), 'agentwatch_exporter_delivered in /metrics').toBe(done.delivered);
    console.log(JSON.stringify({ alerts: alerts.length, records: got.length, repeats, delivered: done.delivered }));
  }, 600_000);
});
