import type { Message, Producer } from 'kafkajs';
import { KAFKA_COMPRESSION, type KafkaCompression } from './kafka-codecs.ts';

/** Default chunk: well below the broker's default message.max.bytes (1 MiB), which applies to a whole record batch. */
export const PRODUCE_CHUNK_BYTES = 512 * 1024;

/**
 * Produces `messages` to `topic` in sends of at most `chunkBytes` of values each (a single larger message goes alone),
 * compressed with `compression` (default gzip), acknowledged by all in-sync replicas, in order. Resolves when every
 * send is acknowledged.
 */
export async function sendChunked(
  producer: Producer,
  topic: string,
  messages: readonly Message[],
  { chunkBytes = PRODUCE_CHUNK_BYTES, compression = 'gzip' }: { chunkBytes?: number; compression?: KafkaCompression } = {},
): Promise<void> {
  let chunk: Message[] = [];
  let bytes = 0;
  const flush = async () => {
    if (chunk.length === 0) return;
    await producer.send({ topic, acks: -1, compression: KAFKA_COMPRESSION[compression], messages: chunk });
    chunk = [];
    bytes = 0;
  };
  for (const message of messages) {
    const size = message.value === null || message.value === undefined ? 0 : message.value.length;
    if (chunk.length > 0 && bytes + size > chunkBytes) await flush();
    chunk.push(message);
    bytes += size;
  }
  await flush();
}
