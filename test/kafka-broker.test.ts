// Smoke test of the test broker itself: a real Apache Kafka (see test/support/kafka.ts), a real client (kafkajs).
// Needs test/support/kafka-global-setup.ts in vitest's globalSetup, which provides the brokers.
import { randomUUID } from 'node:crypto';
// kafkajs is loaded in beforeAll, so this file still loads (and skips) on a checkout whose node_modules lacks it.
import type { Admin, Consumer, logCreator, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kafkaBrokersOrFail } from './support/kafka-suite.ts';

const brokers = kafkaBrokersOrFail('kafka broker');

// kafkajs logs the retriable errors of a fresh broker (the offsets topic is created on the first group join) at
// ERROR level; they are retried and are not failures. Everything else is printed.
const RETRIED = /coordinator is not available|There is no leader for this topic-partition|leader is not available/i;
const quietLogs: logCreator = () => (entry) => {
  if (!RETRIED.test(String(entry.log['error'] ?? ''))) console.error('[kafkajs]', entry.log.message, entry.log);
};

const PARTITIONS = 6;
const MESSAGES = 1000;
const KEYS = 37;

describe.skipIf(brokers.length === 0)(`kafka broker (${inject('kafkaHow') || 'none'}: ${brokers.join(',')})`, () => {
  const topic = `aw-smoke-${randomUUID()}`;
  let admin: Admin;
  let producer: Producer;
  let consumer: Consumer;

  beforeAll(async () => {
    const { Kafka, logLevel, Partitioners } = await import('kafkajs');
    const kafka = new Kafka({ clientId: 'agentwatch-smoke', brokers, logLevel: logLevel.ERROR, logCreator: quietLogs, retry: { retries: 8 } });
    admin = kafka.admin();
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    consumer = kafka.consumer({ groupId: `aw-smoke-${randomUUID()}` });
    await Promise.all([admin.connect(), producer.connect(), consumer.connect()]);
  });

  afterAll(async () => {
    await Promise.allSettled([consumer?.disconnect(), producer?.disconnect()]);
    await admin?.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin?.disconnect();
  });

  it('creates a topic, produces 1000 keyed messages and consumes them all in a group, in order per key', async () => {
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }], waitForLeaders: true })).toBe(true);
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(meta.topics[0]?.partitions).toHaveLength(PARTITIONS);

    // Produce: key k gets sequence numbers 0, 1, 2, ... in send order.
    const sent = new Map<string, number>();
    const all = Array.from({ length: MESSAGES }, (_, i) => {
      const key = `agent-${i % KEYS}`;
      const seq = sent.get(key) ?? 0;
      sent.set(key, seq + 1);
      return { key, value: JSON.stringify({ key, seq, i }) };
    });
    for (let i = 0; i < all.length; i += 100) {
      await producer.send({ topic, acks: -1, messages: all.slice(i, i + 100) });
    }

    // Consume in a consumer group from the beginning until all have arrived.
    const got: { key: string; seq: number; partition: number }[] = [];
    let allArrived: () => void = () => {};
    const arrived = new Promise<void>((resolve) => {
      allArrived = resolve;
    });
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const { key, seq } = JSON.parse(message.value?.toString() ?? '{}') as { key: string; seq: number };
        got.push({ key: message.key?.toString() === key ? key : `mismatch:${message.key?.toString()}`, seq, partition });
        if (got.length >= MESSAGES) allArrived();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      arrived,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`only ${got.length}/${MESSAGES} messages arrived within 45 s`)), 45_000);
      }),
    ]).finally(() => clearTimeout(timer));

    expect(got).toHaveLength(MESSAGES);
    const byKey = new Map<string, { seqs: number[]; partitions: Set<number> }>();
    for (const m of got) {
      const e = byKey.get(m.key) ?? { seqs: [], partitions: new Set<number>() };
      e.seqs.push(m.seq);
      e.partitions.add(m.partition);
      byKey.set(m.key, e);
    }
    expect(byKey.size).toBe(KEYS);
    for (const [key, { seqs, partitions }] of byKey) {
      expect(partitions.size, `${key} stays on one partition`).toBe(1);
      expect(seqs, `${key} arrives complete and in order`).toEqual(Array.from({ length: sent.get(key) ?? 0 }, (_, i) => i));
    }
    // The keys really were spread over the partitions.
    expect(new Set(got.map((m) => m.partition)).size).toBeGreaterThan(1);
  });
});
