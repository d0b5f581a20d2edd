// Raw consume speed of the Kafka clients compared in docs/kafka-client-choice.md, against the same local broker:
// N canonical-event-sized JSON messages (keyed by agent) produced once per codec by kcat, then read start to end by
// each client in a fresh consumer group, counting messages and bytes only (no decode, no engine, no store).
// Prints one JSON line. `tsx bench/kafka-clients/consume-bench.ts [--messages N] [--codecs none,lz4]`.
// @platformatic/kafka is not a dependency (the project keeps kafkajs): it is measured when importable, e.g. after
// `npm install --no-save @platformatic/kafka`; @confluentinc/kafka-javascript does not install here (its native
// build downloads from GitHub), so it is reported as such.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import '../../services/collector/src/kafka-codecs.ts';
import { acquireKafka } from '../../test/support/kafka.ts';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? (process.argv[i + 1] as string) : fallback;
};
const MESSAGES = Number(arg('messages', '200000'));
const CODECS = arg('codecs', 'none,lz4,zstd').split(',');
const PARTITIONS = 3;
const TIMEOUT_MS = 180_000;

interface Result {
  client: string;
  codec: string;
  messages: number;
  ms: number;
  messagesPerSec: number;
  mbPerSec: number;
  error?: string;
}

async function kafkajsConsume(brokers: string[], topic: string, bytes: number): Promise<Omit<Result, 'codec'>> {
  const kafka = new Kafka({ clientId: 'bench-kafkajs', brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `bench-kafkajs-${randomUUID()}`, maxBytesPerPartition: 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let n = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kafkajs read ${n} of ${MESSAGES} in ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
    void consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        n += batch.messages.length;
        if (n >= MESSAGES) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  const ms = performance.now() - t0;
  await consumer.disconnect();
  return {
    client: 'kafkajs 2.2.4 (patched)',
    messages: n,
    ms: Math.round(ms),
    messagesPerSec: Math.round((n / ms) * 1000),
    mbPerSec: round1(bytes / 1e6 / (ms / 1000)),
  };
}

async function platformaticConsume(brokers: string[], topic: string, bytes: number): Promise<Omit<Result, 'codec'>> {
  const name = '@platformatic/kafka';
  // biome-ignore lint/suspicious/noExplicitAny: optional module, not a dependency (typed by its use here)
  const mod: any = await import(name);
  const consumer = new mod.Consumer({ clientId: 'bench-platformatic', bootstrapBrokers: brokers, groupId: `bench-platformatic-${randomUUID()}` });
  const t0 = performance.now();
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false, maxBytesPerPartition: 1024 * 1024 });
  let n = 0;
  const timer = setTimeout(() => stream.destroy(new Error(`platformatic read ${n} of ${MESSAGES} in ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
  for await (const _ of stream) {
    n++;
    if (n >= MESSAGES) break;
  }
  clearTimeout(timer);
  const ms = performance.now() - t0;
  await consumer.close(true);
  return {
    client: `@platformatic/kafka`,
    messages: n,
    ms: Math.round(ms),
    messagesPerSec: Math.round((n / ms) * 1000),
    mbPerSec: round1(bytes / 1e6 / (ms / 1000)),
  };
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

const handle = await acquireKafka();
const brokers = handle.brokers;
const results: Result[] = [];
try {
  const admin = new Kafka({ clientId: 'bench-admin', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const lines: string[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    const agent = `agent-${i % 500}`;
    const value = JSON.stringify({
      event_id: `ev-${i}-${randomUUID()}`,
      agent_id: agent,
      time: new Date(1_700_000_000_000 + i * 10).toISOString(),
      kind: 'tool_call',
      tool: { name: 'search', args_hash: 'x'.repeat(64) },
    });
    lines.push(`${agent}\t${value}`);
  }
  const input = `${lines.join('\n')}\n`;
  const bytes = Buffer.byteLength(input);
  for (const codec of CODECS) {
    const topic = `bench-clients-${codec}-${randomUUID().slice(0, 8)}`;
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }] });
    const p = spawnSync('kcat', ['-P', '-b', brokers.join(','), '-t', topic, '-z', codec, '-K', '\t', '-X', 'linger.ms=50'], { input, maxBuffer: 1 << 30 });
    if (p.status !== 0) throw new Error(`kcat -P failed: ${p.stderr}`);
    for (const [label, consume] of [
      ['kafkajs', kafkajsConsume],
      ['@platformatic/kafka', platformaticConsume],
    ] as const) {
      try {
        results.push({ codec, ...(await consume(brokers, topic, bytes)) });
      } catch (e) {
        results.push({ client: label, codec, messages: 0, ms: 0, messagesPerSec: 0, mbPerSec: 0, error: (e as Error).message.split('\n')[0] ?? '' });
      }
    }
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
  }
  await admin.disconnect();
  results.push({
    client: '@confluentinc/kafka-javascript',
    codec: '-',
    messages: 0,
    ms: 0,
    messagesPerSec: 0,
    mbPerSec: 0,
    error: 'not installable here (native build fetches from GitHub)',
  });
} finally {
  await handle.stop();
}
process.stdout.write(`${JSON.stringify({ messages: MESSAGES, node: process.version, results })}\n`);
