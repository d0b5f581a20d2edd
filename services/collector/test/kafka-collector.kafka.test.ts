// KafkaCollector against a real Apache Kafka broker (test/support/kafka-global-setup.ts) and a real embedded store.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_RULES, DetectionEngine, parseRegistry, type TokenLookup } from '@agentwatch/detections';
import type { Alert, CanonicalEvent } from '@agentwatch/schemas';
import { simulateFleet } from '@agentwatch/simulator';
import { createStore, type Store } from '@agentwatch/store';
import type { Admin, Kafka, logCreator, Producer } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaBrokersOrFail } from '../../../test/support/kafka-suite.ts';
import { replay } from '../../cli/src/commands/replay.ts';
import { KafkaCollector } from '../src/kafka-collector.ts';
import { LivePipeline, type PipelineWriteBehind } from '../src/live-pipeline.ts';
import { KafkaCheckpointStore } from '../src/partition-checkpoints.ts';

const brokers = kafkaBrokersOrFail('KafkaCollector');

const RETRIED =
  /coordinator is not available|There is no leader for this topic-partition|leader is not available|rebalanc|not the correct coordinator|coordinator is loading|does not host this topic-partition/i;
const quietLogs: logCreator = () => (entry) => {
  if (String(entry.log['error'] ?? '').includes('CollectorFatalError')) return; // expected in the fatal test
  if (!RETRIED.test(String(entry.log['error'] ?? '')) && !RETRIED.test(entry.log.message)) console.error('[kafkajs]', entry.log.message, entry.log);
};

const DATA_DIR = mkdtempSync(join(tmpdir(), 'aw-collector-kafka-test-'));
const PARTITIONS = 3;

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 40_000, error?: () => Error | null): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    const e = error?.();
    if (e) throw e;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(brokers.length === 0)('KafkaCollector (real broker)', () => {
  const run = randomUUID().slice(0, 8);
  const topic = `aw-events-${run}`;
  const alertsTopic = `aw-alerts-${run}`;
  const dlqTopic = `aw-dlq-${run}`;
  const groupId = `aw-collector-${run}`;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let store: Store;
  let dir: string;
  let events: CanonicalEvent[];
  const logger = pino({ level: process.env['AW_TEST_LOG'] ?? 'error' });

  const checkpointsTopic = `aw-checkpoints-${run}`;
  const tokensTopic = `aw-tokens-${run}`;
  const newPipeline =
    (s: Store = store) =>
    (_partition: number, sharedTokens: TokenLookup, writeBehind: PipelineWriteBehind) => {
      const reg = parseRegistry(readFileSync(join(dir, 'registry.yaml'), 'utf8'), 'registry.yaml');
      if (!reg.ok) throw new Error('registry refused');
      return new LivePipeline({ engine: new DetectionEngine({ registry: reg.registry, rules: BUILTIN_RULES, sharedTokens }), store: s, logger, writeBehind });
    };
  const newCollector = () =>
    new KafkaCollector({ kafka, store, newPipeline: newPipeline(), logger, groupId, topic, alertsTopic, dlqTopic, checkpointsTopic, tokensTopic });
  const sendAll = async (t: string, list: CanonicalEvent[], chunk: number) => {
    for (let i = 0; i < list.length; i += chunk) {
      await producer.send({ topic: t, acks: -1, messages: list.slice(i, i + chunk).map((e) => ({ key: e.agent_id, value: JSON.stringify(e) })) });
    }
  };

  /** All messages of a topic, read to its current end with a throwaway group. */
  async function readAll(t: string): Promise<Array<{ key: string | null; value: Buffer | null; headers: Record<string, string> }>> {
    const ends = await admin.fetchTopicOffsets(t);
    const total = ends.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
    const got: Array<{ key: string | null; value: Buffer | null; headers: Record<string, string> }> = [];
    if (total === 0) return got;
    const c = kafka.consumer({ groupId: `aw-reader-${randomUUID()}` });
    await c.connect();
    await c.subscribe({ topics: [t], fromBeginning: true });
    await c.run({
      eachMessage: async ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        got.push({ key: message.key?.toString() ?? null, value: message.value, headers });
      },
    });
    try {
      await waitFor(`${total} messages on ${t}`, () => got.length >= total);
    } finally {
      await c.disconnect();
    }
    return got;
  }

  beforeAll(async () => {
    const { Kafka, logLevel, Partitioners } = await import('kafkajs');
    kafka = new Kafka({ clientId: `aw-collector-test-${run}`, brokers, logLevel: logLevel.ERROR, logCreator: quietLogs, retry: { retries: 8 } });
    admin = kafka.admin();
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await Promise.all([admin.connect(), producer.connect()]);
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic, numPartitions: PARTITIONS, replicationFactor: 1, configEntries: [{ name: 'max.message.bytes', value: String(4 * 1024 * 1024) }] },
        { topic: alertsTopic, numPartitions: 1, replicationFactor: 1 },
        { topic: dlqTopic, numPartitions: 1, replicationFactor: 1 },
      ],
    });
    store = createStore({ dataDir: DATA_DIR, database: `aw_collector_k_${randomBytes(6).toString('hex')}` });
    await store.migrate();
    dir = mkdtempSync(join(tmpdir(), 'aw-collector-kfleet-'));
    // Ending today: the messages arrive now, and a month-old event time would be a claim not believed (events.md 1.1).
    await simulateFleet({ agents: 6, days: 4, seed: 3, outDir: dir, start: new Date(Math.floor(Date.now() / 86_400_000 - 4) * 86_400_000).toISOString() });
    events = readFileSync(join(dir, 'events.ndjson'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as CanonicalEvent);
  });

  afterAll(async () => {
    await producer?.disconnect();
    await admin?.deleteTopics({ topics: [topic, alertsTopic, dlqTopic, checkpointsTopic, tokensTopic, `${topic}-1p`, `${alertsTopic}-1p`] }).catch(() => {});
    await admin?.disconnect();
    await store?.close();
    rmSync(DATA_DIR, { recursive: true, force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('consumes a simulated fleet across a restart: every event stored once, alerts stored and produced, bad messages in the DLQ', async () => {
    const send = async (list: CanonicalEvent[]) => {
      for (let i = 0; i < list.length; i += 1000) {
        await producer.send({
          topic,
          acks: -1,
          messages: list.slice(i, i + 1000).map((e) => ({ key: e.agent_id, value: JSON.stringify(e) })),
        });
      }
    };
    const half = Math.floor(events.length / 2);
    const first = events.slice(0, half);
    const agent = (first[0] as CanonicalEvent).agent_id;
    const good = (id: string) => ({ key: agent, value: JSON.stringify({ ...(first[0] as CanonicalEvent), event_id: id }) });
    const bad = [
      { key: agent, value: '{"kind":"tool_call","event_id":' },
      { key: agent, value: JSON.stringify({ ...(first[0] as CanonicalEvent), event_id: 'bad-unknown-key', colour: 'blue' }) },
      { key: agent, value: JSON.stringify({ ...(first[0] as CanonicalEvent), event_id: 'bad-wrong-type', agent_id: 42 }) },
      { key: agent, value: JSON.stringify({ ...(first[0] as CanonicalEvent), event_id: 'bad-oversized', attributes: { blob: 'x'.repeat(1_100_000) } }) },
      { key: agent, value: '' },
      // Hostile text (issue 13): bytes that are not UTF-8 inside a string, and a JSON escape of a lone surrogate.
      {
        key: agent,
        value: Buffer.concat(
          JSON.stringify({ ...(first[0] as CanonicalEvent), event_id: 'bad-utf8', session_id: 'MARK' })
            .split('MARK')
            .flatMap((p, i) => (i === 0 ? [Buffer.from(p)] : [Buffer.from([0xc3, 0x28]), Buffer.from(p)])),
        ),
      },
      { key: agent, value: JSON.stringify({ ...(first[0] as CanonicalEvent), event_id: 'bad-surrogate', session_id: 'MARK' }).replace('MARK', 'x\\ud800') },
    ];
    // Good events around the bad ones, in the same partition (same key).
    const goodIds = Array.from({ length: bad.length + 1 }, (_, i) => `good-around-${i}`);
    const mixed = [good(goodIds[0] as string), ...bad.flatMap((b, i) => [b, good(goodIds[i + 1] as string)])];

    await send(first);
    await producer.send({ topic, acks: -1, messages: mixed });
    const phase1 = first.length + mixed.length;

    // Phase 1: a collector consumes everything produced so far, then stops gracefully.
    const a = newCollector();
    let t0 = performance.now();
    await a.start();
    await waitFor(
      `phase 1 (${phase1} messages)`,
      () => a.stats().messages >= phase1,
      50_000,
      () => a.error,
    );
    const ms1 = performance.now() - t0;
    await a.stop();
    expect(a.stats()).toMatchObject({ messages: phase1, accepted: first.length + goodIds.length, dlq: bad.length });

    // Phase 2: more events; a fresh collector (fresh engine) restores the checkpoint and carries on.
    const second = events.slice(half);
    await send(second);
    const b = newCollector();
    t0 = performance.now();
    await b.start();
    await waitFor(
      `phase 2 (${second.length} messages)`,
      () => b.stats().messages >= second.length,
      50_000,
      () => b.error,
    );
    const ms2 = performance.now() - t0;
    await b.stop();
    expect(b.stats()).toMatchObject({ messages: second.length, accepted: second.length, dlq: 0 });
    console.info(
      `KafkaCollector: phase 1 ${phase1} msgs in ${Math.round(ms1)} ms (${Math.round(phase1 / (ms1 / 1000))}/s incl. group join), phase 2 ${second.length} msgs in ${Math.round(ms2)} ms (${Math.round(second.length / (ms2 / 1000))}/s); in-batch rate ${Math.round((phase1 + second.length) / ((a.stats().busyMs + b.stats().busyMs) / 1000))} msgs/s`,
    );

    // Every event stored exactly once (raw rows, without FINAL: nothing was inserted twice).
    const expected = events.length + goodIds.length;
    expect(await store.countEvents()).toBe(expected);
    const rs = await store.client.query({ query: `SELECT count() AS n, uniqExact(event_id) AS u FROM ${store.database}.events`, format: 'JSONEachRow' });
    const row = (await rs.json<{ n: string | number; u: string | number }>())[0];
    expect([Number(row?.n), Number(row?.u)]).toEqual([expected, expected]);

    // Alerts: in the store and on the alerts topic, the same ids.
    const stored = await store.queryAlerts({ limit: 1000 });
    expect(stored.alerts.length).toBeGreaterThan(0);
    const produced = await readAll(alertsTopic);
    expect(new Set(produced.map((m) => m.key))).toEqual(new Set(stored.alerts.map((a) => a.alert_id)));
    for (const m of produced) expect((JSON.parse(m.value?.toString() ?? '{}') as Alert).alert_id).toBe(m.key);

    // DLQ: each bad message once, with its reason and where it came from.
    const dlq = await readAll(dlqTopic);
    expect(dlq).toHaveLength(bad.length);
    const reasons = dlq.map((m) => m.headers['x-agentwatch-error'] ?? '');
    expect(reasons[0]).toMatch(/not valid JSON/);
    expect(reasons[1]).toMatch(/colour/);
    expect(reasons[2]).toMatch(/agent_id/);
    expect(reasons[3]).toMatch(/larger than 1048576 bytes/);
    expect(reasons[4]).toMatch(/empty message/);
    expect(reasons[5]).toMatch(/not valid UTF-8/);
    expect(reasons[6]).toMatch(/^session_id: .*Unicode/);
    for (const m of dlq) {
      expect(m.headers['x-agentwatch-source-topic']).toBe(topic);
      expect(Number(m.headers['x-agentwatch-source-partition'])).toBeGreaterThanOrEqual(0);
      expect(Number(m.headers['x-agentwatch-source-offset'])).toBeGreaterThanOrEqual(0);
    }
    expect(dlq[1]?.value?.toString()).toContain('bad-unknown-key');
    expect(dlq[3]?.headers['x-agentwatch-original-bytes']).toBeDefined();
    const offsets = dlq.map((m) => Number(m.headers['x-agentwatch-source-offset']));
    expect(offsets).toEqual([...offsets].sort((x, y) => x - y));

    // Each partition's checkpoint reflects the end of that partition, and so does the group's committed offset.
    const cps = new KafkaCheckpointStore({ kafka, logger, topic: checkpointsTopic });
    await cps.start();
    const ends = await admin.fetchTopicOffsets(topic);
    try {
      for (const e of ends) expect((await cps.load(groupId, topic, e.partition))?.offset).toBe(e.high);
    } finally {
      await cps.stop();
    }
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(Object.fromEntries((committed[0]?.partitions ?? []).map((p) => [p.partition, p.offset]))).toEqual(
      Object.fromEntries(ends.map((p) => [p.partition, p.high])),
    );
  });

  it('a write that fails behind the batches reloads the partitions from their checkpoints: every event once, the alerts of replay', async () => {
    // One partition in time order: the live pipeline sees exactly what replay sees.
    const t = `${topic}-1p`;
    const g = `${groupId}-1p`;
    const at = `${alertsTopic}-1p`;
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: t, numPartitions: 1, replicationFactor: 1 },
        { topic: at, numPartitions: 1, replicationFactor: 1 },
      ],
    });
    const half = Math.floor(events.length / 2);
    // Small sends: small record batches, so many small consumer batches.
    await sendAll(t, events.slice(0, half), 100);
    const s2 = createStore({ dataDir: DATA_DIR, database: `aw_collector_k_${randomBytes(6).toString('hex')}` });
    await s2.migrate();
    try {
      // Once the first half is in, the next event insert and the next alert upsert fail: written behind batches the
      // engine has already seen (and later ones ran on), so what they carried is lost unless re-read.
      let failEvents = 0;
      let failAlerts = 0;
      const flaky: Store = {
        ...s2,
        insertEventRows: (chunks, token) => {
          if (failEvents > 0 && failEvents--) return Promise.reject(new Error('events table unavailable'));
          return s2.insertEventRows(chunks, token);
        },
        insertAlerts: (alerts) => {
          if (failAlerts > 0 && failAlerts--) return Promise.reject(new Error('alerts table unavailable'));
          return s2.insertAlerts(alerts);
        },
      };
      const a = new KafkaCollector({
        kafka,
        store: flaky,
        newPipeline: newPipeline(flaky),
        logger,
        groupId: g,
        topic: t,
        alertsTopic: at,
        dlqTopic,
        checkpointsTopic,
        tokensTopic: `${tokensTopic}-1p`,
        // Small fetches and frequent checkpoints: many batches, many writes.
        consumerConfig: { maxBytesPerPartition: 64 * 1024 },
        checkpointIntervalMs: 100,
      });
      await a.start();
      const committed = async () => (await admin.fetchOffsets({ groupId: g, topics: [t] }))[0]?.partitions[0]?.offset;
      await waitFor(
        'the first half processed',
        async () => (await committed()) === String(half),
        60_000,
        () => a.error,
      );
      failEvents = 1;
      failAlerts = 1;
      await sendAll(t, events.slice(half), 100);
      await waitFor(
        'every message processed after the failures',
        async () => a.stats().writeFailures >= 2 && (await committed()) === String(events.length) && a.stats().messages === events.length,
        60_000,
        () => a.error,
      );
      await a.stop();
      expect(a.stats().writeFailures).toBe(2);
      expect(a.stats().reloads).toBeGreaterThanOrEqual(2);
      expect(a.error).toBeNull();
      // A dropped state's messages are not counted; after each reload they were processed again by a fresh engine.
      expect(a.stats().messages).toBe(events.length);
      expect(await s2.countEvents()).toBe(events.length);

      const out = join(dir, 'replay-alerts.ndjson');
      await replay({ registry: join(dir, 'registry.yaml'), files: [join(dir, 'events.ndjson')], inputFormat: 'canonical', out, log: () => {} });
      // telemetry_integrity alerts are timed by arrival (the Kafka timestamp live, the recorded stream in replay).
      const sameClock = (x: Alert) => x.category !== 'telemetry_integrity';
      const expectedIds = readFileSync(out, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Alert)
        .filter(sameClock)
        .map((x) => x.alert_id);
      const stored = await s2.queryAlerts({ limit: 1000 });
      expect(
        stored.alerts
          .filter(sameClock)
          .map((x) => x.alert_id)
          .sort(),
      ).toEqual(expectedIds.sort());
    } finally {
      await s2.close();
    }
  });
});
