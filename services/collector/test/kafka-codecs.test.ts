import { createRequire } from 'node:module';
import { CompressionTypes } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { KAFKA_COMPRESSION, type KafkaCompression, lz4Codec, UndecodableBatchError, zstdCodec } from '../src/kafka-codecs.ts';

/**
 * Every codec registered into kafkajs (kafka-codecs.ts), through kafkajs' own record batch encoder and decoder (the
 * code a fetch and a send run). Without the module kafkajs throws "<codec> compression not implemented". The real
 * broker with kcat as the producer: test/kafka-codecs.test.ts.
 */
const require = createRequire(import.meta.url);
type RecordT = { offsetDelta: number; timestampDelta: number; key: Buffer; value: Buffer };
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as { RecordBatch: (opts: object) => Promise<{ buffer: Buffer }> };
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (r: RecordT) => unknown;
const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (
  decoder: unknown,
) => Promise<{ records: Array<{ offset: string; value: Buffer }> }>;
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (b: Buffer) => unknown;

/** Byte offset of a v2 record batch's attributes: base offset 8, length 4, leader epoch 4, magic 1, crc 4. */
const ATTRIBUTES_AT = 21;
/** Header bytes before the records (compressed or not) of a v2 record batch. */
const BATCH_HEADER_BYTES = 61;

const values = Array.from({ length: 300 }, (_, i) => Buffer.from(JSON.stringify({ event_id: `e-${i}`, agent_id: `agent-${i % 7}`, kind: 'tool_call' })));

async function encode(compression: CompressionTypes): Promise<Buffer> {
  const records = values.map((value, i) => Record({ offsetDelta: i, timestampDelta: i, key: Buffer.from(`agent-${i % 7}`), value }));
  const batch = await RecordBatch({ compression, firstOffset: '1000', lastOffsetDelta: values.length - 1, records });
  return batch.buffer;
}

describe('Kafka codecs registered into kafkajs', () => {
  for (const name of Object.keys(KAFKA_COMPRESSION) as KafkaCompression[]) {
    it(`${name}: a record batch round-trips through kafkajs' encoder and decoder`, async () => {
      const type = KAFKA_COMPRESSION[name];
      const buffer = await encode(type);
      expect(buffer.readInt16BE(ATTRIBUTES_AT) & 0x07).toBe(type);
      if (name !== 'none') expect(buffer.length).toBeLessThan((await encode(CompressionTypes.None)).length / 2);
      const { records } = await decodeBatch(new Decoder(buffer));
      expect(records.map((r) => r.value.toString())).toEqual(values.map(String));
      expect(records[0]?.offset).toBe('1000');
    });
  }

  for (const name of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
    it(`${name}: a corrupt compressed payload is an UndecodableBatchError naming the codec`, async () => {
      const buffer = await encode(KAFKA_COMPRESSION[name]);
      // The compressed records, cut short and overwritten: whatever the library says, it is reported the same way.
      const corrupt = Buffer.from(buffer);
      corrupt.fill(0x5a, BATCH_HEADER_BYTES + 4, Math.min(corrupt.length, BATCH_HEADER_BYTES + 64));
      const err = await decodeBatch(new Decoder(corrupt)).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(UndecodableBatchError);
      expect((err as Error).message).toMatch(new RegExp(`^${name} record batch could not be decompressed: `));
    });
  }

  // Frames written by the reference command-line tools (as librdkafka and Java write them): a zstd frame without a
  // content size (streamed), an LZ4 frame with a content checksum.
  const text = '{"agent_id":"a1","n":1}\n'.repeat(20);
  it('zstd: decodes a streamed frame that carries no content size', async () => {
    const frame = Buffer.from('KLUv/QRY/QAAwHsiYWdlbnRfaWQiOiJhMSIsIm4iOjF9CgEAFK86x1RCjdc=', 'base64');
    expect(frame[4]! & 0xc0).toBe(0); // Frame_Content_Size_flag 0: no size in the header
    expect((await zstdCodec.decompress(frame)).toString()).toBe(text);
  });
  it('lz4: decodes a standard LZ4 frame (the lz4 tool, content checksum on)', async () => {
    const frame = Buffer.from('BCJNGGRApyQAAAD/CXsiYWdlbnRfaWQiOiJhMSIsIm4iOjF9ChgA/7FQIjoxfQoAAAAA9W2opw==', 'base64');
    expect((await lz4Codec.decompress(frame)).toString()).toBe(text);
  });
});
