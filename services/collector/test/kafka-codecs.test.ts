import { createRequire } from 'node:module';
import { CompressionTypes } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import {
  KAFKA_COMPRESSION,
  type KafkaCompression,
  lz4Codec,
  STOP_ON_UNDECODABLE,
  UndecodableBatchError,
  undecodableBatch,
  undecodableBatchLine,
  zstdCodec,
} from '../src/kafka-codecs.ts';

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
type EncoderT = {
  writeInt16(v: number): EncoderT;
  writeInt32(v: number): EncoderT;
  writeInt64(v: number): EncoderT;
  writeString(v: string): EncoderT;
  writeBuffer(b: Buffer): EncoderT;
  buffer: Buffer;
};
const Encoder = require('kafkajs/src/protocol/encoder.js') as new () => EncoderT;
const fetchV11 = require('kafkajs/src/protocol/requests/fetch/v11/response.js') as { decode(raw: Buffer): Promise<unknown> };

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

  it('a corrupt batch in a fetch response names its topic, partition and offsets (patched kafkajs), and stops the consumer', async () => {
    const corrupt = Buffer.from(await encode(KAFKA_COMPRESSION.lz4));
    corrupt.fill(0x5a, BATCH_HEADER_BYTES + 4, BATCH_HEADER_BYTES + 64);
    // Fetch v11: throttle, error, session, [topic [partition, error, high watermark, last stable, log start,
    // aborted transactions, preferred replica, records]].
    const response = new Encoder()
      .writeInt32(0)
      .writeInt16(0)
      .writeInt32(0)
      .writeInt32(1)
      .writeString('agentwatch.events')
      .writeInt32(1)
      .writeInt32(3)
      .writeInt16(0)
      .writeInt64(2000)
      .writeInt64(2000)
      .writeInt64(0)
      .writeInt32(0)
      .writeInt32(-1)
      .writeInt32(corrupt.length)
      .writeBuffer(corrupt).buffer;
    const err = await fetchV11.decode(response).then(
      () => null,
      (e: unknown) => e,
    );
    // kafkajs' retrier wraps it (KafkaJSNumberOfRetriesExceeded has it as `cause`).
    const wrapped = Object.assign(new Error('retries exceeded'), { cause: err });
    const bad = undecodableBatch(wrapped);
    expect(bad).toMatchObject({ topic: 'agentwatch.events', partition: 3, firstOffset: '1000', lastOffset: String(1000 + values.length - 1) });
    expect(undecodableBatchLine(bad!)).toMatch(
      /^undecodable record batch \(topic agentwatch\.events, partition 3, offsets 1000-1299\): lz4 record batch could not be decompressed: .*; consumption stopped/,
    );
    expect(await STOP_ON_UNDECODABLE.restartOnFailure(wrapped)).toBe(false);
    expect(await STOP_ON_UNDECODABLE.restartOnFailure(new Error('connection refused'))).toBe(true);
  });
});
