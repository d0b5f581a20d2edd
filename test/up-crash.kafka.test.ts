// Crash test for `agentwatch up` with KAFKA_BROKERS against a real broker: the fleet's events are produced straight
// into the events topic (keyed by agent_id, several partitions); `up` is killed with SIGKILL mid-stream and started
// again on the same data dir, topic and consumer group. Afterwards every event is stored once and every alert of
// replay is present once, none missing, none extra.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Alert, CanonicalEvent } from '@agentwatch/schemas';
import { simulateFleet } from '@agentwatch/simulator';
import { createStore } from '@agentwatch/store';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replay } from '../services/cli/src/commands/replay.ts';
import { kafkaBrokersOrFail } from './support/kafka-suite.ts';
import { recentStart } from './support/recent-start.ts';
import { sameClockAlerts, servedSameClockAlertIds } from './support/same-clock.ts';
import { killAll, lockUp, readNdjson, spawnUp, type UpProcess, waitFor } from './support/up-process.ts';

const brokers = kafkaBrokersOrFail('agentwatch up crash (Kafka)');
const TOKEN = 'aw_test_bootstrap_token_crash_0123456789';
const auth = { Authorization: `Bearer ${TOKEN}` };
/**
 * Several partitions: the collector keeps them within a minute of event time of each other (GroupHorizon) and
 * engines re-check token uses whose issuance another partition delivers later, so cross-agent token rules see
 * what replay sees.
 */
const PARTITIONS = 3;
/** A consumer group of its own (AGENTWATCH_GROUP_ID), so no other run's collector shares it. */
const GROUP = `agentwatch-crash-${randomUUID()}`;

describe.skipIf(brokers.length === 0)('agentwatch up (Kafka): SIGKILL mid-stream and restart', () => {
  const run = randomUUID().slice(0, 8);
  const topic = `aw-up-crash-${run}`;
  const dir = mkdtempSync(join(tmpdir(), 'aw-up-crash-'));
  const dataDir = join(dir, 'data');
  const kafka = new Kafka({ clientId: `aw-up-crash-test-${run}`, brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const procs: UpProcess[] = [];
  let unlock: (() => void) | undefined;
  let events: CanonicalEvent[] = [];

  const startUp = async (): Promise<{ up: UpProcess; base: string }> => {
    const up = spawnUp(['--registry', join(dir, 'registry.yaml'), '--data', dataDir, '--listen', '127.0.0.1:0'], {
      KAFKA_BROKERS: brokers.join(','),
      AGENTWATCH_EVENTS_TOPIC: topic,
      AGENTWATCH_GROUP_ID: GROUP,
      AGENTWATCH_BOOTSTRAP_TOKEN: TOKEN,
      CLICKHOUSE_URL: '',
    });
    procs.push(up);
    return { up, base: await up.base };
  };

  /** Distinct event ids in the store, summed over GET /v1/agents. */
  const storedEvents = async (base: string): Promise<number> => {
    const res = await fetch(`${base}/v1/agents`, { headers: auth });
    if (res.status !== 200) throw new Error(`GET /v1/agents: ${res.status}`);
    const body = (await res.json()) as { agents: Array<{ activity: { events: number } | null }> };
    return body.agents.reduce((n, a) => n + (a.activity?.events ?? 0), 0);
  };
  const alertIds = (base: string): Promise<string[]> => servedSameClockAlertIds(base, auth);

  beforeAll(async () => {
    // Large enough (~100k events) that the kill lands mid-stream even when the pipeline runs at its fastest.
    await simulateFleet({ agents: 30, days: 14, seed: 41, outDir: dir, start: recentStart(14) });
    events = readNdjson<CanonicalEvent>(join(dir, 'events.ndjson'));
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }] });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    // In file (time) order, small sends: every partition's share stays well under max.message.bytes.
    for (let i = 0; i < events.length; i += 1000) {
      await producer.send({ topic, acks: -1, messages: events.slice(i, i + 1000).map((e) => ({ key: e.agent_id, value: JSON.stringify(e) })) });
    }
    await producer.disconnect();
    unlock = await lockUp(brokers);
  }, 400_000);

  afterAll(async () => {
    await killAll(procs);
    unlock?.();
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every event stored once and every alert of replay present once after a SIGKILL and a restart', async () => {
    const ends = await admin.fetchTopicOffsets(topic);
    const total = ends.reduce((n, p) => n + Number(p.high), 0);
    expect(total).toBe(events.length);
    expect(ends.filter((p) => Number(p.high) > 0).length).toBe(PARTITIONS);

    // The reference: replay over the same events.
    const out = join(dir, 'replay.ndjson');
    await replay({ registry: join(dir, 'registry.yaml'), files: [join(dir, 'events.ndjson')], inputFormat: 'canonical', out, log: () => {} });
    // telemetry_integrity alerts are timed by arrival, which differs between live and replay (support/same-clock.ts).
    const replayed = sameClockAlerts(readNdjson<Alert>(out));
    const expected = replayed.map((a) => a.alert_id).sort();
    expect(expected.length).toBeGreaterThan(5);

    // 1. Start, wait until some events are stored (distinct ids, GET /v1/agents), then SIGKILL mid-stream.
    const t0 = performance.now();
    const first = await startUp();
    const tListen1 = performance.now() - t0;
    const atKill = await waitFor(
      'the first stored events',
      async () => ((await storedEvents(first.base)) > 0 ? storedEvents(first.base) : null),
      60_000,
      first.up.stderr,
    );
    first.up.proc.kill('SIGKILL');
    const killed = await first.up.exited;
    const tKill = performance.now() - t0;
    expect(killed.signal).toBe('SIGKILL');
    expect(atKill, 'the kill came after the whole topic was consumed: not mid-stream').toBeLessThan(total);

    // 2. Restart on the same data dir, topic and group. up listens only once the collector has started, which
    //    waits for the dead member's session to expire before moving the group to the checkpoint's offsets.
    const t1 = performance.now();
    const second = await startUp();
    const tListen2 = performance.now() - t1;
    await waitFor('every event stored', async () => ((await storedEvents(second.base)) === total ? true : null), 120_000, second.up.stderr);
    const tStored = performance.now() - t1;
    let served: string[] = [];
    await waitFor(
      'the alerts of replay',
      async () => {
        served = await alertIds(second.base);
        return served.length === expected.length && served.every((id, i) => id === expected[i]) ? true : null;
      },
      30_000,
    ).catch(() => undefined);
    const tAlerts = performance.now() - t1;
    second.up.proc.kill('SIGTERM');
    const stopped = await second.up.exited;
    expect(stopped).toEqual({ code: 0, signal: null });
    // Offsets are committed with each partition checkpoint (every few seconds, and at a graceful stop).
    const groupOffsets = await admin.fetchOffsets({ groupId: GROUP, topics: [topic] });

    // 4. The embedded store, opened now that up has exited (chdb: one process per data dir).
    const store = createStore({ dataDir: join(dataDir, 'clickhouse'), database: 'agentwatch' });
    let figures: { raw: number; distinct: number; final: number; alertRows: number; alertIds: string[] };
    try {
      const q = async <T>(query: string): Promise<T[]> => (await store.client.query({ query, format: 'JSONEachRow' })).json<T>();
      // A stretch re-read after the crash may be written again in a different grouping (no matching insert dedup
      // token): the ReplacingMergeTree keeps one row per event once its parts merge; force that merge, then count.
      await store.client.command({ query: 'OPTIMIZE TABLE agentwatch.events FINAL' });
      const [ev] = await q<{ n: string; u: string }>('SELECT count() AS n, uniqExact(event_id) AS u FROM agentwatch.events');
      const final = await store.countEvents();
      const alerts = await q<{ alert_id: string }>("SELECT alert_id FROM agentwatch.alerts FINAL WHERE category != 'telemetry_integrity' ORDER BY alert_id");
      figures = {
        raw: Number(ev?.n),
        distinct: Number(ev?.u),
        final,
        alertRows: alerts.length,
        alertIds: alerts.map((a) => a.alert_id),
      };
    } finally {
      await store.close();
    }
    console.info(
      `up crash: ${total} events on ${PARTITIONS} partitions; first up listening after ${Math.round(tListen1)} ms, SIGKILL at ${Math.round(tKill)} ms with ${atKill} events stored; restart listening after ${Math.round(tListen2)} ms, every event stored ${Math.round(tStored)} ms and alerts settled ${Math.round(tAlerts)} ms after the restart; group offsets ${JSON.stringify(groupOffsets[0]?.partitions.map((p) => p.offset))} vs ends ${JSON.stringify(ends.map((p) => p.high))}; store: ${figures.raw} raw event rows, ${figures.distinct} distinct event ids, ${figures.final} rows with FINAL; ${figures.alertRows} alerts (FINAL), replay ${expected.length}, served ${served.length}`,
    );

    const missing = replayed.filter((a) => !figures.alertIds.includes(a.alert_id)).map((a) => `${a.rule_id} ${a.agent_id} ${a.first_seen}`);
    const extra = figures.alertIds.filter((id) => !expected.includes(id));
    if (missing.length || extra.length)
      console.info(`up crash: missing alerts (rule, agent, first_seen): ${JSON.stringify(missing)}; extra ids: ${JSON.stringify(extra)}`);

    // Every event stored once.
    expect(figures.distinct).toBe(total);
    expect(figures.final).toBe(total);
    expect(figures.raw).toBe(total);
    // Every alert present once, none missing, none extra.
    expect(new Set(figures.alertIds).size).toBe(figures.alertIds.length);
    expect(figures.alertIds).toEqual(expected);
    expect(served).toEqual(expected);
    // The group's committed offsets are at the end of the topic (consumer lag 0 for monitoring, and the starting point
    // kafkajs uses after a rebalance).
    expect(Object.fromEntries((groupOffsets[0]?.partitions ?? []).map((p) => [p.partition, p.offset]))).toEqual(
      Object.fromEntries(ends.map((p) => [p.partition, p.high])),
    );
  }, 240_000);
});
