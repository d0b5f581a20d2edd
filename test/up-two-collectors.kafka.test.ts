// Scale-out test for `agentwatch up` with KAFKA_BROKERS against a real broker: two collector processes in one
// consumer group (own data dirs, as on two machines) split the events topic's partitions; one is killed with
// SIGKILL mid-stream and the other takes its partitions over, with their state, from the checkpoints topic. The
// alerts topic (what downstream consumers and the SIEM see) then holds, as the latest version of each alert id,
// exactly the alerts replay gives for the same events: none lost, none duplicated, counts not inflated by the
// re-read. Every event is stored (in one of the two stores; a shared ClickHouse server would collapse the re-read
// overlap by event_id).
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Alert, CanonicalEvent } from '@agentwatch/schemas';
import { simulateFleet } from '@agentwatch/simulator';
import { Kafka, type Kafka as KafkaClient, logLevel, Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replay } from '../services/cli/src/commands/replay.ts';
import { kafkaBrokersOrFail } from './support/kafka-suite.ts';
import { lockUp, ROOT, readNdjson, spawnUp, type UpProcess, waitFor } from './support/up-process.ts';

const brokers = kafkaBrokersOrFail('agentwatch up, two collectors (Kafka)');
const TOKEN = 'aw_test_bootstrap_token_two_collectors_0123';
const PARTITIONS = 4;

interface StoreContents {
  rows: number;
  ids: string[];
  alerts: Array<{ alert_id: string; count: number }>;
}

/** Opens a stopped collector's embedded store in a child process (chdb: one data dir per process). */
function storeContents(dataDir: string): StoreContents {
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'test', 'support', 'store-contents.ts'), join(dataDir, 'clickhouse')], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  return JSON.parse(out.trim().split('\n').pop() as string) as StoreContents;
}

/** Every message of a topic, in offset order per partition, read with a throw-away consumer group. */
async function readTopic(kafka: KafkaClient, topic: string): Promise<Array<{ key: string; value: string; partition: number; offset: string }>> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const want = new Map(ends.map((e) => [e.partition, BigInt(e.high)]));
  const got: Array<{ key: string; value: string; partition: number; offset: string }> = [];
  const next = new Map<number, bigint>(ends.map((e) => [e.partition, BigInt(e.low)]));
  const consumer = kafka.consumer({ groupId: `aw-two-read-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      got.push({ key: message.key?.toString() ?? '', value: message.value?.toString() ?? '', partition, offset: message.offset });
      next.set(partition, BigInt(message.offset) + 1n);
    },
  });
  try {
    await waitFor(`${topic} read to its end`, async () => ([...want].every(([p, high]) => (next.get(p) ?? 0n) >= high) ? true : null), 60_000);
  } finally {
    await consumer.disconnect();
  }
  return got.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
}

/** The partitions a collector process last said it was assigned (its pino log on stderr). */
function assignedPartitions(up: UpProcess): number[] | null {
  let last: number[] | null = null;
  for (const line of up.stderr().split('\n')) {
    if (!line.includes('partitions assigned')) continue;
    try {
      last = (JSON.parse(line) as { partitions: number[] }).partitions;
    } catch {
      // a partial line still being written
    }
  }
  return last;
}

describe.skipIf(brokers.length === 0)('agentwatch up (Kafka): two collectors in one group, one killed', () => {
  const run = randomUUID().slice(0, 8);
  const topics = {
    AGENTWATCH_EVENTS_TOPIC: `aw-two-events-${run}`,
    AGENTWATCH_ALERTS_TOPIC: `aw-two-alerts-${run}`,
    AGENTWATCH_DLQ_TOPIC: `aw-two-dlq-${run}`,
    AGENTWATCH_TOKENS_TOPIC: `aw-two-tokens-${run}`,
    AGENTWATCH_CHECKPOINTS_TOPIC: `aw-two-checkpoints-${run}`,
  };
  const topic = topics.AGENTWATCH_EVENTS_TOPIC;
  const group = `agentwatch-two-${run}`;
  const dir = mkdtempSync(join(tmpdir(), 'aw-up-two-'));
  const kafka = new Kafka({ clientId: `aw-up-two-test-${run}`, brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const procs: UpProcess[] = [];
  let unlock: (() => void) | undefined;
  let events: CanonicalEvent[] = [];

  const startUp = async (name: string): Promise<{ up: UpProcess; base: string }> => {
    const up = spawnUp(['--registry', join(dir, 'registry.yaml'), '--data', join(dir, name), '--listen', '127.0.0.1:0'], {
      KAFKA_BROKERS: brokers.join(','),
      ...topics,
      AGENTWATCH_GROUP_ID: group,
      // The group hands a silent member's partitions over after this long (the broker's minimum is 6 s).
      AGENTWATCH_KAFKA_SESSION_TIMEOUT: '8s',
      // Frequent checkpoints (commits), so the kill can be timed a third of the way through the stream.
      AGENTWATCH_CHECKPOINT_INTERVAL: '1s',
      AGENTWATCH_BOOTSTRAP_TOKEN: TOKEN,
      CLICKHOUSE_URL: '',
    });
    procs.push(up);
    return { up, base: await up.base };
  };

  const produce = async (batch: CanonicalEvent[]): Promise<void> => {
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    for (let i = 0; i < batch.length; i += 1000) {
      await producer.send({ topic, acks: -1, messages: batch.slice(i, i + 1000).map((e) => ({ key: e.agent_id, value: JSON.stringify(e) })) });
    }
    await producer.disconnect();
  };
  const committed = async (): Promise<number> => {
    const [t] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return (t?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
  };

  beforeAll(async () => {
    await simulateFleet({ agents: 24, days: 10, seed: 43, outDir: dir });
    events = readNdjson<CanonicalEvent>(join(dir, 'events.ndjson'));
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }] });
    unlock = await lockUp(brokers);
  }, 400_000);

  afterAll(async () => {
    for (const p of procs) if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    unlock?.();
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => {});
    await admin.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the partitions are split, and killing one collector hands its agents to the other without lost or duplicated alerts', async () => {
    // The reference: replay over the same events.
    const out = join(dir, 'replay.ndjson');
    await replay({ registry: join(dir, 'registry.yaml'), files: [join(dir, 'events.ndjson')], inputFormat: 'canonical', out, log: () => {} });
    const replayed = readNdjson<Alert>(out);
    const expected = new Map(replayed.map((a) => [a.alert_id, a]));
    expect(expected.size).toBeGreaterThan(5);

    // 1. Two collectors join the group; both must hold partitions before any event is sent.
    const a = await startUp('a');
    const b = await startUp('b');
    const split = await waitFor(
      'the partitions split between both collectors',
      async () => {
        const pa = assignedPartitions(a.up);
        const pb = assignedPartitions(b.up);
        if (!pa || !pb || pa.length === 0 || pb.length === 0 || pa.length + pb.length !== PARTITIONS) return null;
        return { a: pa, b: pb };
      },
      90_000,
      () => a.up.stderr() + b.up.stderr(),
    );
    expect([...split.a, ...split.b].sort()).toEqual([0, 1, 2, 3]);

    // 2. The whole stream; wait until both have checkpointed (committed) part of it, a third of the whole at least,
    //    and kill A while it is still consuming. (Known gap, see docs/architecture.md: a collector killed while it
    //    is caught up, with new messages flooding in for everyone, can leave token facts unread on its partitions
    //    for the few seconds before its silence is noticed, while the survivor races through a backlog.)
    await produce(events);
    const atKill = await waitFor(
      'both collectors to commit a third of the stream',
      async () => {
        const [t] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
        const by = new Map((t?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
        const total = [...by.values()].reduce((n, o) => n + Math.max(0, o), 0);
        const both = split.a.some((p) => (by.get(p) ?? -1) > 0) && split.b.some((p) => (by.get(p) ?? -1) > 0);
        return both && total * 3 >= events.length ? total : null;
      },
      180_000,
      () => a.up.stderr().slice(-2000) + b.up.stderr().slice(-2000),
    );
    a.up.proc.kill('SIGKILL');
    expect((await a.up.exited).signal).toBe('SIGKILL');
    expect(atKill, 'A was killed after the whole topic was consumed: not mid-stream').toBeLessThan(events.length);
    const tKill = performance.now();

    // 3. B takes A's partitions over (after the session timeout) and consumes to the end of every partition.
    await waitFor('B to hold every partition', async () => (assignedPartitions(b.up)?.length === PARTITIONS ? true : null), 90_000, b.up.stderr);
    const tTakeover = performance.now() - tKill;
    await waitFor(
      'the group to commit the end of the topic',
      async () => ((await committed()) === events.length ? true : null),
      240_000,
      () => b.up.stderr().slice(-3000),
    );
    const tDone = performance.now() - tKill;
    b.up.proc.kill('SIGTERM');
    expect(await b.up.exited).toEqual({ code: 0, signal: null });

    // 4. The alerts topic: the latest version of each alert id (keyed by alert_id, so one partition each).
    const messages = await readTopic(kafka, topics.AGENTWATCH_ALERTS_TOPIC);
    const latest = new Map<string, Alert>();
    for (const m of messages) latest.set(m.key, JSON.parse(m.value) as Alert);
    const missing = [...expected.values()].filter((x) => !latest.has(x.alert_id)).map((x) => `${x.rule_id} ${x.agent_id} ${x.first_seen}`);
    const extra = [...latest.values()].filter((x) => !expected.has(x.alert_id)).map((x) => `${x.rule_id} ${x.agent_id} ${x.first_seen}`);
    const recounted = [...latest.values()]
      .filter((x) => expected.has(x.alert_id) && expected.get(x.alert_id)?.count !== x.count)
      .map((x) => `${x.rule_id} ${x.agent_id}: ${x.count} vs replay ${expected.get(x.alert_id)?.count}`);

    // 5. The two stores (each opened once its collector is gone).
    const sa = storeContents(join(dir, 'a'));
    const sb = storeContents(join(dir, 'b'));
    const union = new Set([...sa.ids, ...sb.ids]);
    const overlap = sa.ids.filter((id) => sb.ids.includes(id)).length;
    const storedAlerts = new Map<string, number>();
    for (const x of [...sa.alerts, ...sb.alerts]) storedAlerts.set(x.alert_id, Math.max(storedAlerts.get(x.alert_id) ?? 0, x.count));

    console.info(
      `up two collectors: ${events.length} events on ${PARTITIONS} partitions, split A ${JSON.stringify(split.a)} / B ${JSON.stringify(split.b)}; A killed with ${atKill} offsets committed (group total); B held every partition ${Math.round(tTakeover)} ms after the kill and committed the end ${Math.round(tDone)} ms after it; alerts topic: ${messages.length} messages, ${latest.size} alert ids (replay ${expected.size}), missing ${JSON.stringify(missing)}, extra ${JSON.stringify(extra)}, counts differing ${JSON.stringify(recounted)}; stores: A ${sa.rows} rows / ${sa.ids.length} ids, B ${sb.rows} rows / ${sb.ids.length} ids, union ${union.size}, re-read overlap ${overlap}`,
    );

    // None lost, none extra, none counted twice: the alerts topic's latest versions are replay's alerts.
    expect(missing).toEqual([]);
    expect(extra).toEqual([]);
    expect(recounted).toEqual([]);
    // Every event stored; within one store once.
    expect(union.size).toBe(events.length);
    expect(sa.rows).toBe(sa.ids.length);
    expect(sb.rows).toBe(sb.ids.length);
    // The stores agree with the topic: every replay alert is stored with its final count in one of them.
    expect([...expected.values()].filter((x) => storedAlerts.get(x.alert_id) !== x.count).map((x) => x.alert_id)).toEqual([]);
  }, 600_000);
});
