// Every message of a topic up to its end offsets at the time of the call, read with a throw-away consumer group.
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { waitFor } from '../support/up-process.ts';

export async function readTopic(kafka: Kafka, topic: string): Promise<Array<{ key: string; value: string }>> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const want = new Map(ends.map((e) => [e.partition, BigInt(e.high)]));
  const next = new Map<number, bigint>(ends.map((e) => [e.partition, BigInt(e.low)]));
  const got: Array<{ key: string; value: string; partition: number; offset: bigint }> = [];
  const consumer = kafka.consumer({ groupId: `aw-soak-read-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      got.push({ key: message.key?.toString() ?? '', value: message.value?.toString() ?? '', partition, offset: BigInt(message.offset) });
      next.set(partition, BigInt(message.offset) + 1n);
    },
  });
  try {
    await waitFor(`${topic} read to its end`, async () => ([...want].every(([p, high]) => (next.get(p) ?? 0n) >= high) ? true : null), 120_000);
  } finally {
    await consumer.disconnect();
  }
  return got.sort((a, b) => a.partition - b.partition || (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
}
