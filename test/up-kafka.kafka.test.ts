// `agentwatch up` with KAFKA_BROKERS, end to end against a real broker (test/support/kafka-global-setup.ts):
// events POSTed over HTTP are produced to the events topic (keyed by agent_id, several partitions), the collector's
// consumer group feeds the live pipeline, and the alerts served by the API are the ones replay gives.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Alert } from '@agentwatch/schemas';
import { simulateFleet } from '@agentwatch/simulator';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replay } from '../services/cli/src/commands/replay.ts';
import { kafkaBrokersOrFail } from './support/kafka-suite.ts';
import { recentStart } from './support/recent-start.ts';
import { sameClockAlerts, servedSameClockAlertIds } from './support/same-clock.ts';
import { lockUp, readNdjson, spawnUp, type UpProcess, waitFor } from './support/up-process.ts';

const brokers = kafkaBrokersOrFail('agentwatch up (Kafka)');
const TOKEN = 'aw_test_bootstrap_token_kafka_0123456789';
const auth = { Authorization: `Bearer ${TOKEN}` };
const PARTITIONS = 3;
const CHUNK = 1000;

describe.skipIf(brokers.length === 0)('agentwatch up (Kafka, embedded ClickHouse)', () => {
  const run = randomUUID().slice(0, 8);
  const topic = `aw-up-events-${run}`;
  const dir = mkdtempSync(join(tmpdir(), 'aw-up-kafka-'));
  let up: UpProcess;
  let base = '';
  let unlock: (() => void) | undefined;
  const kafka = new Kafka({ clientId: `aw-up-test-${run}`, brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();

  beforeAll(async () => {
    await simulateFleet({ agents: 10, days: 8, seed: 31, outDir: dir, start: recentStart(8) });
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }] });
    unlock = await lockUp(brokers);
    up = spawnUp(['--registry', join(dir, 'registry.yaml'), '--data', join(dir, 'data'), '--listen', '127.0.0.1:0'], {
      KAFKA_BROKERS: brokers.join(','),
      AGENTWATCH_EVENTS_TOPIC: topic,
      AGENTWATCH_GROUP_ID: `agentwatch-e2e-${topic}`,
      AGENTWATCH_BOOTSTRAP_TOKEN: TOKEN,
      CLICKHOUSE_URL: '',
    });
    base = await up.base;
  }, 400_000);

  afterAll(async () => {
    if (up && up.proc.exitCode === null && up.proc.signalCode === null) up.proc.kill('SIGKILL');
    unlock?.();
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('events POSTed over HTTP go through the Kafka topic and yield the alert ids replay gives', async () => {
    const t0 = performance.now();
    const lines = readFileSync(join(dir, 'events.ndjson'), 'utf8').split('\n').filter(Boolean);
    // Chunks of ~0.5 MB: well under the broker's default max.message.bytes (1 MiB) per partition record batch
    // (a bigger body, which the API accepts, is the last test below).
    for (let i = 0; i < lines.length; i += CHUNK) {
      const res = await fetch(`${base}/v1/events`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/x-ndjson' },
        body: lines.slice(i, i + CHUNK).join('\n'),
      });
      const body = await res.text();
      expect(res.status, `POST /v1/events: ${body}\n${up.stderr().slice(-3000)}`).toBe(202);
      expect((JSON.parse(body) as { accepted: number }).accepted).toBe(Math.min(CHUNK, lines.length - i));
    }
    const posted = performance.now() - t0;

    // They really went through Kafka: the topic holds every event, spread over its partitions.
    const ends = await admin.fetchTopicOffsets(topic);
    expect(ends.reduce((n, p) => n + Number(p.high), 0)).toBe(lines.length);
    expect(ends.filter((p) => Number(p.high) > 0).length).toBeGreaterThan(1);

    const out = join(dir, 'replay.ndjson');
    await replay({ registry: join(dir, 'registry.yaml'), files: [join(dir, 'events.ndjson')], inputFormat: 'canonical', out, log: () => {} });
    // telemetry_integrity alerts are timed by arrival, which differs between live and replay (support/same-clock.ts).
    const expected = sameClockAlerts(readNdjson<Alert>(out))
      .map((a) => a.alert_id)
      .sort();
    expect(expected.length).toBeGreaterThan(5);

    let got: string[] = [];
    const fetchIds = (): Promise<string[]> => servedSameClockAlertIds(base, auth);
    await waitFor(
      'the alerts of replay',
      async () => {
        got = await fetchIds();
        return got.length === expected.length && got.every((id, i) => id === expected[i]) ? true : null;
      },
      60_000,
      () => `got ${got.length} alerts, expected ${expected.length}\n${up.stderr()}`,
    ).catch(() => undefined);
    console.info(
      `up + Kafka: ${lines.length} events posted in ${Math.round(posted)} ms; alerts settled ${Math.round(performance.now() - t0)} ms after the first POST (${got.length}/${expected.length})`,
    );
    expect(got).toEqual(expected);
    expect(new Set(got).size).toBe(got.length);
  }, 180_000);

  // The events endpoint accepts bodies up to 16 MiB (DEFAULT_EVENTS_BODY_LIMIT), but with Kafka one request is one
  // producer.send: every partition's share must fit in one record batch under the broker's max.message.bytes (1 MiB
  // by default), else the broker refuses it and the client gets a 500 (and the other partitions' shares may already
  // be written). Runs after the replay comparison: it re-sends events the pipeline has seen.
  it('accepts a POST of a few MiB (well under the 16 MiB body limit) without a 500', async () => {
    const lines = readFileSync(join(dir, 'events.ndjson'), 'utf8').split('\n').filter(Boolean).slice(0, 8000);
    const body = lines.join('\n');
    expect(Buffer.byteLength(body)).toBeGreaterThan(2 * 1024 * 1024);
    const res = await fetch(`${base}/v1/events`, { method: 'POST', headers: { ...auth, 'content-type': 'application/x-ndjson' }, body });
    const text = await res.text();
    expect(res.status, `POST /v1/events (${Buffer.byteLength(body)} bytes): ${text}`).toBe(202);
    expect((JSON.parse(text) as { accepted: number }).accepted).toBe(lines.length);
  }, 60_000);

  it('stops cleanly on SIGTERM', async () => {
    up.proc.kill('SIGTERM');
    const { code, signal } = await up.exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
  }, 60_000);
});
