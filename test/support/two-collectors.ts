// Shared by the two-collector `agentwatch up` tests against a real broker: two collector processes in one consumer
// group (own data dirs, as on two machines) on a 4-partition events topic, the simulated fleet's events, replay's
// alerts as the reference, and the check that the alerts topic and the two stores hold exactly those alerts.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Alert, CanonicalEvent } from '@agentwatch/schemas';
import { simulateFleet } from '@agentwatch/simulator';
import { Kafka, type Kafka as KafkaClient, logLevel, Partitioners } from 'kafkajs';
import { afterAll, beforeAll, expect } from 'vitest';
import { replay } from '../../services/cli/src/commands/replay.ts';
import { recentStart } from './recent-start.ts';
import { sameClockAlerts } from './same-clock.ts';
import { killAll, lockUp, ROOT, readNdjson, spawnUp, type UpProcess, waitFor } from './up-process.ts';

const TOKEN = 'aw_test_bootstrap_token_two_collectors_0123';
export const PARTITIONS = 4;

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

const partitioner = Partitioners.DefaultPartitioner();
const partitionMetadata = Array.from({ length: PARTITIONS }, (_, p) => ({ partitionId: p, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));

/** The events topic's partition of an agent's events (the producer's partitioner, keyed by agent_id). */
export function partitionOf(agentId: string): number {
  return partitioner({ topic: 'events', partitionMetadata, message: { key: agentId, value: null } });
}

/**
 * Replay's alerts whose evidence uses a token (the credential of a call, or the parent of an exchanged token) whose
 * fact (token_issued / token_revoked) is on another partition, at index `from` or later of the stream: alerts that
 * only come out right if that fact is read before the engine gives up waiting for it.
 */
export function factDependentAlerts(
  events: CanonicalEvent[],
  alerts: Iterable<Alert>,
  from: number,
): Array<{ alert: Alert; factPartition: number; usePartition: number }> {
  const facts = new Map<string, Array<{ partition: number; index: number }>>();
  const byId = new Map<string, CanonicalEvent>();
  events.forEach((e, index) => {
    byId.set(e.event_id, e);
    if (e.kind === 'token_issued' || e.kind === 'token_revoked')
      facts.set(e.token_id, [...(facts.get(e.token_id) ?? []), { partition: partitionOf(e.agent_id), index }]);
  });
  const out: Array<{ alert: Alert; factPartition: number; usePartition: number }> = [];
  for (const alert of alerts) {
    const seen = new Set<number>();
    for (const id of alert.evidence.event_ids) {
      const e = byId.get(id);
      const used = e?.kind === 'tool_call' || e?.kind === 'policy_decision' ? e.token_id : e?.kind === 'token_issued' ? e.parent_token_id : undefined;
      if (!e || !used) continue;
      const usePartition = partitionOf(e.agent_id);
      for (const f of facts.get(used) ?? []) {
        if (f.partition === usePartition || f.index < from || seen.has(f.partition)) continue;
        seen.add(f.partition);
        out.push({ alert, factPartition: f.partition, usePartition });
      }
    }
  }
  return out;
}

/** The partitions a collector process last said it was assigned (its pino log on stderr). */
export function assignedPartitions(up: UpProcess): number[] | null {
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

/**
 * Which of the two collectors to kill so that the test means something: the one whose partitions hold token facts
 * (from index `from` of the stream on) that alerts on the other one's partitions depend on. Killing the other one
 * would test nothing: its facts' users would be its own partitions, read by nobody until the takeover. Also returns
 * those alerts (rule, use and fact partitions).
 */
export function pickVictim(
  h: TwoCollectors,
  started: { a: UpProcess; b: UpProcess; split: { a: number[]; b: number[] } },
  from: number,
): { victim: { name: string; up: UpProcess }; survivor: { name: string; up: UpProcess }; atRisk: string[] } {
  const dependent = factDependentAlerts(h.events(), h.expected().values(), from);
  const exposed = (own: number[]) =>
    dependent
      .filter((d) => own.includes(d.factPartition) && !own.includes(d.usePartition))
      .map((d) => `${d.alert.rule_id} (use P${d.usePartition}, fact P${d.factPartition})`);
  const a = { name: 'a', up: started.a };
  const b = { name: 'b', up: started.b };
  const [ea, eb] = [exposed(started.split.a), exposed(started.split.b)];
  return ea.length >= eb.length ? { victim: a, survivor: b, atRisk: ea } : { victim: b, survivor: a, atRisk: eb };
}

export interface TwoCollectors {
  /** The simulated fleet's events (set in beforeAll). */
  events(): CanonicalEvent[];
  /** Replay's alerts for those events, by alert_id: the reference (set in beforeAll). */
  expected(): Map<string, Alert>;
  /** Starts a collector (`agentwatch up`, data dir `name`) in the test's group. */
  startUp(name: string): Promise<UpProcess>;
  /** Starts A and B and waits until both hold partitions (every partition assigned to one of them). */
  startBoth(): Promise<{ a: UpProcess; b: UpProcess; split: { a: number[]; b: number[] } }>;
  /** Produces events to the events topic, keyed by agent_id, 1,000 per request. */
  produce(batch: CanonicalEvent[]): Promise<void>;
  /** Committed offsets of the group per partition (-1: none yet). */
  committedByPartition(): Promise<Map<number, number>>;
  /** End offsets of the events topic per partition. */
  endOffsets(): Promise<Map<number, number>>;
  /**
   * After `killed` died and `survivor` took every partition over: waits for the group to commit the end of the topic,
   * stops the survivor, and checks the alerts topic and both stores against replay (none lost, none extra, counts
   * equal, every event stored). Returns a one-line summary for the log.
   */
  verifyTakeover(o: { killed: { name: string; up: UpProcess }; survivor: { name: string; up: UpProcess }; tKill: number }): Promise<string>;
}

/** Registers the suite's beforeAll/afterAll (call inside `describe`): topics, group, fleet, the `up` lock, cleanup. */
export function twoCollectors(brokers: string[], prefix: string): TwoCollectors {
  const run = randomUUID().slice(0, 8);
  const topics = {
    AGENTWATCH_EVENTS_TOPIC: `${prefix}-events-${run}`,
    AGENTWATCH_ALERTS_TOPIC: `${prefix}-alerts-${run}`,
    AGENTWATCH_DLQ_TOPIC: `${prefix}-dlq-${run}`,
    AGENTWATCH_TOKENS_TOPIC: `${prefix}-tokens-${run}`,
    AGENTWATCH_CHECKPOINTS_TOPIC: `${prefix}-checkpoints-${run}`,
  };
  const topic = topics.AGENTWATCH_EVENTS_TOPIC;
  const group = `agentwatch-${prefix}-${run}`;
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const kafka = new Kafka({ clientId: `${prefix}-test-${run}`, brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const procs: UpProcess[] = [];
  let unlock: (() => void) | undefined;
  let events: CanonicalEvent[] = [];
  let expected = new Map<string, Alert>();

  beforeAll(async () => {
    await simulateFleet({ agents: 24, days: 10, seed: 43, outDir: dir, start: recentStart(10) });
    events = readNdjson<CanonicalEvent>(join(dir, 'events.ndjson'));
    // The reference: replay over the same events.
    const out = join(dir, 'replay.ndjson');
    await replay({ registry: join(dir, 'registry.yaml'), files: [join(dir, 'events.ndjson')], inputFormat: 'canonical', out, log: () => {} });
    // telemetry_integrity alerts are timed by arrival, which differs between live and replay (same-clock.ts).
    expected = new Map(sameClockAlerts(readNdjson<Alert>(out)).map((a) => [a.alert_id, a]));
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }] });
    unlock = await lockUp(brokers);
  }, 400_000);

  afterAll(async () => {
    await killAll(procs);
    unlock?.();
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => {});
    await admin.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  const startUp = async (name: string): Promise<UpProcess> => {
    const up = spawnUp(['--registry', join(dir, 'registry.yaml'), '--data', join(dir, name), '--listen', '127.0.0.1:0'], {
      KAFKA_BROKERS: brokers.join(','),
      ...topics,
      AGENTWATCH_GROUP_ID: group,
      // The group hands a silent member's partitions over after this long (the broker's minimum is 6 s).
      AGENTWATCH_KAFKA_SESSION_TIMEOUT: '8s',
      // Frequent checkpoints (commits), so the kill can be timed by the committed offsets.
      AGENTWATCH_CHECKPOINT_INTERVAL: '1s',
      AGENTWATCH_BOOTSTRAP_TOKEN: TOKEN,
      CLICKHOUSE_URL: '',
    });
    procs.push(up);
    await up.base;
    return up;
  };

  const committedByPartition = async (): Promise<Map<number, number>> => {
    const [t] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return new Map((t?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  };

  return {
    events: () => events,
    expected: () => expected,
    startUp,
    async startBoth() {
      const a = await startUp('a');
      const b = await startUp('b');
      const split = await waitFor(
        'the partitions split between both collectors',
        async () => {
          const pa = assignedPartitions(a);
          const pb = assignedPartitions(b);
          if (!pa || !pb || pa.length === 0 || pb.length === 0 || pa.length + pb.length !== PARTITIONS) return null;
          return { a: pa, b: pb };
        },
        90_000,
        () => a.stderr() + b.stderr(),
      );
      expect([...split.a, ...split.b].sort()).toEqual([0, 1, 2, 3]);
      return { a, b, split };
    },
    async produce(batch) {
      const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      for (let i = 0; i < batch.length; i += 1000) {
        await producer.send({ topic, acks: -1, messages: batch.slice(i, i + 1000).map((e) => ({ key: e.agent_id, value: JSON.stringify(e) })) });
      }
      await producer.disconnect();
    },
    committedByPartition,
    async endOffsets() {
      return new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]));
    },
    async verifyTakeover({ killed, survivor, tKill }) {
      expect(expected.size).toBeGreaterThan(5);

      // The survivor takes the dead collector's partitions over (after the session timeout) and consumes to the end.
      await waitFor(
        'the survivor to hold every partition',
        async () => (assignedPartitions(survivor.up)?.length === PARTITIONS ? true : null),
        90_000,
        survivor.up.stderr,
      );
      const tTakeover = performance.now() - tKill;
      await waitFor(
        'the group to commit the end of the topic',
        async () => ([...(await committedByPartition()).values()].reduce((n, o) => n + Math.max(0, o), 0) === events.length ? true : null),
        240_000,
        () => survivor.up.stderr().slice(-3000),
      );
      const tDone = performance.now() - tKill;
      survivor.up.proc.kill('SIGTERM');
      expect(await survivor.up.exited).toEqual({ code: 0, signal: null });

      // The alerts topic: the latest version of each alert id (keyed by alert_id, so one partition each).
      const messages = await readTopic(kafka, topics.AGENTWATCH_ALERTS_TOPIC);
      const latest = new Map<string, Alert>();
      for (const m of messages) {
        const alert = JSON.parse(m.value) as Alert;
        if (alert.category !== 'telemetry_integrity') latest.set(m.key, alert);
      }
      const missing = [...expected.values()].filter((x) => !latest.has(x.alert_id)).map((x) => `${x.rule_id} ${x.agent_id} ${x.first_seen}`);
      const extra = [...latest.values()].filter((x) => !expected.has(x.alert_id)).map((x) => `${x.rule_id} ${x.agent_id} ${x.first_seen}`);
      const recounted = [...latest.values()]
        .filter((x) => expected.has(x.alert_id) && expected.get(x.alert_id)?.count !== x.count)
        .map((x) => `${x.rule_id} ${x.agent_id}: ${x.count} vs replay ${expected.get(x.alert_id)?.count}`);

      // The two stores (each opened once its collector is gone).
      const sk = storeContents(join(dir, killed.name));
      const ss = storeContents(join(dir, survivor.name));
      const union = new Set([...sk.ids, ...ss.ids]);
      const inSurvivor = new Set(ss.ids);
      const overlap = sk.ids.filter((id) => inSurvivor.has(id)).length;
      const storedAlerts = new Map<string, number>();
      for (const x of [...sk.alerts, ...ss.alerts]) storedAlerts.set(x.alert_id, Math.max(storedAlerts.get(x.alert_id) ?? 0, x.count));

      const summary = `survivor ${survivor.name} held every partition ${Math.round(tTakeover)} ms after the kill and committed the end ${Math.round(tDone)} ms after it; alerts topic: ${messages.length} messages, ${latest.size} alert ids (replay ${expected.size}), missing ${JSON.stringify(missing)}, extra ${JSON.stringify(extra)}, counts differing ${JSON.stringify(recounted)}; stores: ${killed.name} ${sk.rows} rows / ${sk.ids.length} ids, ${survivor.name} ${ss.rows} rows / ${ss.ids.length} ids, union ${union.size}, re-read overlap ${overlap}`;
      console.info(summary);

      // None lost, none extra, none counted twice: the alerts topic's latest versions are replay's alerts.
      expect(missing).toEqual([]);
      expect(extra).toEqual([]);
      expect(recounted).toEqual([]);
      // Every event stored; within one store once.
      expect(union.size).toBe(events.length);
      expect(sk.rows).toBe(sk.ids.length);
      expect(ss.rows).toBe(ss.ids.length);
      // The stores agree with the topic: every replay alert is stored with its final count in one of them.
      expect([...expected.values()].filter((x) => storedAlerts.get(x.alert_id) !== x.count).map((x) => x.alert_id)).toEqual([]);
      return summary;
    },
  };
}
