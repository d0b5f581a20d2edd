// `agentwatch up` (Kafka mode) whatever the broker does (issue 15, item 5): started before its broker exists it
// waits (no exit, no stack trace, /readyz 503 naming Kafka), goes ready once the broker is up, consumes and stores
// what is produced then, shows lag and checkpoint age in /metrics; with the broker stopped, SIGTERM ends it within
// 30 s with the documented exit code. The broker is this file's own (test/support/own-broker.ts).
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { simulateFleet } from '@agentwatch/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CHECKPOINT_NOT_SAVED, EXIT_STOPPED } from '../services/cli/src/shutdown-deadline.ts';
import { kafkaBrokersOrFail } from './support/kafka-suite.ts';
import { type OwnBroker, ownBroker } from './support/own-broker.ts';
import { recentStart } from './support/recent-start.ts';
import { postEvents, ROOT, spawnUp, type UpProcess, waitFor } from './support/up-process.ts';

const brokers = kafkaBrokersOrFail('agentwatch up before its broker');
const TOKEN = 'aw_test_bootstrap_token_lifecycle_0123456789';
const auth = { Authorization: `Bearer ${TOKEN}` };
/** The bound: SIGTERM ends `up` within 30 s whatever the broker does. */
const SHUTDOWN_BOUND_MS = 30_000;

/** The metric samples of `name` in a Prometheus text exposition, as label text -> value. */
function samples(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`).exec(line);
    if (m) out.set(m[1] ?? '', Number(m[2]));
  }
  return out;
}

/** The exit of `p`, or (after `ms`) a failure showing its log instead of a hang until the test times out. */
async function exitedWithin(p: UpProcess, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`up did not exit within ${ms} ms of SIGTERM:\n${p.stderr().slice(-6000)}`)), ms);
  });
  try {
    return await Promise.race([p.exited, late]);
  } finally {
    clearTimeout(timer);
  }
}

const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);

describe.skipIf(brokers.length === 0)('agentwatch up started before its broker', () => {
  const run = randomUUID().slice(0, 8);
  const topic = `aw-lifecycle-${run}`;
  const dir = mkdtempSync(join(tmpdir(), 'aw-up-lifecycle-'));
  let broker: OwnBroker;
  let up: UpProcess;
  let base = '';
  let lines: string[] = [];
  const ups: UpProcess[] = [];
  const startUp = (name: string, checkpointInterval: string): UpProcess => {
    const p = spawnUp(['--registry', join(dir, 'registry.yaml'), '--data', join(dir, name), '--listen', '127.0.0.1:0'], {
      KAFKA_BROKERS: broker.address,
      AGENTWATCH_EVENTS_TOPIC: topic,
      AGENTWATCH_GROUP_ID: `agentwatch-lifecycle-${run}-${name}`,
      AGENTWATCH_CHECKPOINTS_TOPIC: `aw-lifecycle-checkpoints-${run}-${name}`,
      AGENTWATCH_BOOTSTRAP_TOKEN: TOKEN,
      AGENTWATCH_CHECKPOINT_INTERVAL: checkpointInterval,
      CLICKHOUSE_URL: '',
    });
    ups.push(p);
    return p;
  };
  const metricsText = async (): Promise<string> => (await fetch(`${base}/metrics`, { headers: auth })).text();

  beforeAll(async () => {
    await simulateFleet({ agents: 4, days: 2, seed: 15, outDir: dir, start: recentStart(2) });
    lines = readFileSync(join(dir, 'events.ndjson'), 'utf8').split('\n').filter(Boolean);
    broker = await ownBroker();
  }, 120_000);

  afterAll(async () => {
    for (const p of ups) if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill('SIGKILL');
    await broker?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('waits for the broker, then consumes and stores; with the broker gone SIGTERM ends it in time', async () => {
    up = startUp('first', '2s');
    const context = () => up.stderr();
    base = await up.base;

    // No broker: not ready, saying why; the wait is in the log; events are refused with 503, not lost.
    const waiting = await fetch(`${base}/readyz`);
    expect(waiting.status).toBe(503);
    expect(((await waiting.json()) as { error: { message: string } }).error.message).toMatch(/kafka/i);
    await waitFor('the waiting line in the log', async () => (/kafka: waiting for the broker/.test(up.stderr()) ? true : null), 120_000, context);
    const refused = await fetch(`${base}/v1/events`, { method: 'POST', headers: { ...auth, 'content-type': 'application/x-ndjson' }, body: lines[0] });
    expect(refused.status).toBe(503);
    // Several backoff rounds later it is still there.
    await sleep(5_000);
    expect(up.proc.exitCode, context()).toBeNull();

    // The broker comes (fresh: no topics, coordinator still loading): ready once consuming.
    await broker.start();
    await waitFor('/readyz 200', async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : null), 180_000, context);
    expect(up.proc.exitCode, context()).toBeNull();

    // Produced afterwards: consumed and checkpointed (committed lag 0 on every partition); lag, backlog,
    // checkpoint age and the connection state in /metrics.
    await postEvents(base, auth, lines, 1000);
    const metrics = await waitFor(
      'every event consumed and checkpointed',
      async () => {
        const text = await metricsText();
        // End offsets read after the last event was produced (the lag is measured against them).
        if (sum(samples(text, 'agentwatch_kafka_end_offset')) !== lines.length) return null;
        const committed = samples(text, 'agentwatch_kafka_committed_lag_messages');
        const ages = samples(text, 'agentwatch_checkpoint_age_seconds');
        if (committed.size === 0 || [...committed.values()].some((v) => v !== 0) || ages.size === 0) return null;
        return text;
      },
      180_000,
      context,
    );
    const lag = samples(metrics, 'agentwatch_kafka_consumer_lag_messages');
    expect(lag.size).toBeGreaterThan(0);
    for (const [labels, v] of lag) {
      expect(labels).toContain(`topic="${topic}"`);
      expect(v).toBe(0);
    }
    expect(samples(metrics, 'agentwatch_kafka_backlog_messages').get(`{topic="${topic}"}`)).toBe(0);
    for (const age of samples(metrics, 'agentwatch_checkpoint_age_seconds').values()) expect(age).toBeGreaterThanOrEqual(0);
    expect(samples(metrics, 'agentwatch_kafka_connection_state').get('{state="connected"}')).toBe(1);

    // The broker goes away; SIGTERM still ends `up` within the bound. The last checkpoint was saved (nothing came
    // after it), so the code is EXIT_STOPPED.
    await broker.stop();
    const t0 = performance.now();
    up.proc.kill('SIGTERM');
    const { code, signal } = await exitedWithin(up, 2 * SHUTDOWN_BOUND_MS);
    const tookMs = performance.now() - t0;
    process.stderr.write(`[lifecycle] ${lines.length} events stored; SIGTERM with the broker gone: exit ${code} after ${Math.round(tookMs)} ms\n`);
    expect(signal, context()).toBeNull();
    expect(code, context()).toBe(EXIT_STOPPED);
    expect(tookMs).toBeLessThan(SHUTDOWN_BOUND_MS);

    // No stack trace anywhere in the log (pino's err serializer writes a "stack" field).
    expect(up.stderr()).not.toMatch(/"stack"|\n\s+at /);

    // Everything produced was stored, once.
    const stored = JSON.parse(
      execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'test', 'support', 'store-contents.ts'), join(dir, 'first', 'clickhouse')], {
        cwd: ROOT,
        encoding: 'utf8',
      }),
    ) as { rows: number; ids: string[] };
    expect(stored.rows).toBe(lines.length);
    expect(new Set(stored.ids).size).toBe(lines.length);
  }, 600_000);

  it('with state not yet checkpointed and the broker gone, SIGTERM ends it within 30 s saying the checkpoint was not saved', async () => {
    // A fresh broker (the first test stopped it) and an `up` that checkpoints only at its stop.
    await broker.start();
    up = startUp('second', '1h');
    const context = () => up.stderr();
    base = await up.base;
    await waitFor('/readyz 200', async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : null), 180_000, context);
    await postEvents(base, auth, lines, 1000);
    // Every event processed (lag 0), none checkpointed yet (committed lag > 0).
    await waitFor(
      'every event processed, none checkpointed',
      async () => {
        const text = await metricsText();
        if (sum(samples(text, 'agentwatch_kafka_end_offset')) !== lines.length) return null;
        const lag = samples(text, 'agentwatch_kafka_consumer_lag_messages');
        const committed = sum(samples(text, 'agentwatch_kafka_committed_lag_messages'));
        return lag.size > 0 && [...lag.values()].every((v) => v === 0) && committed > 0 ? true : null;
      },
      180_000,
      context,
    );
    await broker.stop();
    const t0 = performance.now();
    up.proc.kill('SIGTERM');
    const { code, signal } = await exitedWithin(up, 2 * SHUTDOWN_BOUND_MS);
    const tookMs = performance.now() - t0;
    process.stderr.write(`[lifecycle] SIGTERM with unsaved state and the broker gone: exit ${code} after ${Math.round(tookMs)} ms\n`);
    expect(signal, context()).toBeNull();
    expect(code, context()).toBe(EXIT_CHECKPOINT_NOT_SAVED);
    expect(tookMs).toBeLessThan(SHUTDOWN_BOUND_MS);
  }, 600_000);
});
