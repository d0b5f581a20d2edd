import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../test/support/prng.ts';

/**
 * patches/kafkajs+2.2.4.patch (applied by `npm ci`, postinstall): records decode their offsets and timestamps with
 * plain numbers while they are safe integers, and messages are grouped per partition in linear time. These tests
 * check the patched modules give what the original arithmetic gives (BigInt here), on both sides of the fast path.
 */
const require = createRequire(import.meta.url);
type Record = { offsetDelta: number; timestampDelta: number; key: Buffer; value: Buffer; headers?: { [k: string]: Buffer | Buffer[] } };
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as { RecordBatch: (opts: object) => Promise<{ buffer: Buffer }> };
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (r: Record) => unknown;
const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (
  decoder: unknown,
) => Promise<{ records: Array<{ offset: string; timestamp: string; key: Buffer; value: Buffer; headers: object }> }>;
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (b: Buffer) => unknown;
type LongT = { xor(v: unknown): LongT; multiply(v: unknown): LongT; toInt(): number };
const Long = require('kafkajs/src/utils/long.js') as { fromString(s: string): unknown; fromValue(v: unknown): LongT };
const murmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: string | Buffer) => number;
type EncoderT = { writeVarLong(v: unknown): EncoderT; buffer: Buffer };
const Encoder = require('kafkajs/src/protocol/encoder.js') as { new (): EncoderT; sizeOfVarLong(v: unknown): number };
const Batch = require('kafkajs/src/consumer/batch.js') as new (
  topic: string,
  fetchedOffset: string,
  data: { partition: number; highWatermark: string; messages: Array<{ offset: string }> },
) => { messages: Array<{ offset: string }> };
const groupMessagesPerPartition = require('kafkajs/src/producer/groupMessagesPerPartition.js') as (o: {
  topic: string;
  partitionMetadata: unknown[];
  messages: Array<{ key: string; partition?: number }>;
  partitioner: (o: { message: { key: string; partition?: number } }) => number;
}) => { [p: string]: Array<{ key: string }> };

async function roundTrip(firstOffset: bigint, firstTimestamp: bigint, deltas: Array<[number, number]>) {
  const records = deltas.map(([offsetDelta, timestampDelta], i) =>
    Record({ offsetDelta, timestampDelta, key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`), headers: i % 2 ? { h: Buffer.from('x') } : {} }),
  );
  const encoded = await RecordBatch({
    firstOffset: Long.fromString(String(firstOffset)),
    firstTimestamp: Long.fromString(String(firstTimestamp)),
    maxTimestamp: Long.fromString(String(firstTimestamp)),
    lastOffsetDelta: deltas.length - 1,
    records,
  });
  const { records: decoded } = await decodeBatch(new Decoder(encoded.buffer));
  return decoded;
}

describe('kafkajs patch', () => {
  it('is applied (npm ci runs patch-package)', () => {
    for (const m of [
      'producer/groupMessagesPerPartition.js',
      'protocol/recordBatch/record/v0/decoder.js',
      'protocol/recordBatch/record/v0/index.js',
      'protocol/recordBatch/v0/decoder.js',
      'protocol/encoder.js',
      'consumer/batch.js',
      'producer/partitioners/default/murmur2.js',
    ])
      expect(readFileSync(require.resolve(`kafkajs/src/${m}`), 'utf8'), m).toContain('agentwatch patch');
  });
});

describe('kafkajs patch: record offsets and timestamps', () => {
  const cases: Array<[string, bigint, bigint]> = [
    ['small offsets, a current timestamp', 0n, 1_795_000_000_000n],
    ['no timestamp (-1)', 41n, -1n],
    ['offsets and timestamps at the edge of the safe integers', 2n ** 53n - 5n, 2n ** 53n - 3n],
    ['offsets and timestamps past the safe integers (original Long path)', 2n ** 60n + 7n, 2n ** 62n],
  ];
  for (const [name, firstOffset, firstTimestamp] of cases) {
    it(name, async () => {
      const rnd = mulberry32(7);
      const deltas: Array<[number, number]> = [
        [0, 0],
        [1, -1],
        [2, 2 ** 47 - 1], // the longest varlong the fast path reads (7 bytes)
        [3, -(2 ** 47)],
        [4, 2 ** 48 + 11], // 8 bytes: the Long path
        [5, -(2 ** 50)],
        [6, Number.MAX_SAFE_INTEGER],
      ];
      for (let i = 7; i < 200; i++) deltas.push([i, Math.round((rnd() - 0.5) * 2 ** Math.floor(rnd() * 52))]);
      const decoded = await roundTrip(firstOffset, firstTimestamp, deltas);
      expect(decoded.map((r) => r.offset)).toEqual(deltas.map(([o]) => String(firstOffset + BigInt(o))));
      expect(decoded.map((r) => r.timestamp)).toEqual(deltas.map(([, t]) => String(BigInt.asIntN(64, firstTimestamp + BigInt(t)))));
      expect(decoded.map((r) => r.value.toString())).toEqual(deltas.map((_, i) => `v${i}`));
      expect(decoded[1]?.headers).toEqual({ h: Buffer.from('x') });
    });
  }
});

describe('kafkajs patch: grouping messages per partition', () => {
  it('keeps every message, in order, under its partition', () => {
    const messages = Array.from({ length: 5000 }, (_, i) => ({ key: `m${i}`, ...(i % 7 === 0 ? { partition: 2 } : {}) }));
    const partitioner = ({ message }: { message: { key: string; partition?: number } }) => message.partition ?? Number(message.key.slice(1)) % 3;
    const grouped = groupMessagesPerPartition({ topic: 't', partitionMetadata: [{}, {}, {}], messages, partitioner });
    for (const p of ['0', '1', '2'])
      expect(grouped[p]?.map((m) => m.key)).toEqual(messages.filter((m) => String(partitioner({ message: m })) === p).map((m) => m.key));
    expect(groupMessagesPerPartition({ topic: 't', partitionMetadata: [], messages, partitioner })).toEqual({});
  });
});

describe('kafkajs patch: varlong encoding', () => {
  it('writes numbers below 2^48 as the Long path writes them (and sizes them alike)', () => {
    const rnd = mulberry32(11);
    const values = [0, 1, -1, 63, 64, -64, -65, 127, 128, 2 ** 47 - 1, -(2 ** 47), 2 ** 48 - 1, -(2 ** 48 - 1), 2 ** 48, -(2 ** 50), 2 ** 53 - 1];
    for (let i = 0; i < 500; i++) values.push(Math.round((rnd() - 0.5) * 2 ** Math.floor(rnd() * 54)));
    for (const v of values) {
      const asLong = Long.fromString(String(v));
      expect(new Encoder().writeVarLong(v).buffer, String(v)).toEqual(new Encoder().writeVarLong(asLong).buffer);
      expect(Encoder.sizeOfVarLong(v), String(v)).toBe(Encoder.sizeOfVarLong(asLong));
    }
  });
});

describe('kafkajs patch: batch offsets', () => {
  it('drops the messages before the fetched offset, for small and for huge offsets', () => {
    const at = (offsets: string[], fetched: string) =>
      new Batch('t', fetched, { partition: 0, highWatermark: '0', messages: offsets.map((offset) => ({ offset })) }).messages.map((m) => m.offset);
    expect(at(['8', '9', '10', '11'], '10')).toEqual(['10', '11']);
    expect(at(['9007199254740990', '9007199254740993', '9007199254740994'], '9007199254740993')).toEqual(['9007199254740993', '9007199254740994']);
  });
});

/** kafkajs 2.2.4's murmur2 as released (Long arithmetic), to compare the patched one with. */
function murmur2Released(key: string | Buffer): number {
  const SEED = Long.fromValue(0x9747b28c);
  const M = Long.fromValue(0x5bd1e995);
  const data = Buffer.isBuffer(key) ? key : Buffer.from(String(key));
  const length = data.length;
  let h = Long.fromValue(SEED.xor(length));
  for (let i = 0; i < Math.floor(length / 4); i++) {
    const i4 = i * 4;
    const word =
      ((data[i4] as number) & 0xff) +
      (((data[i4 + 1] as number) & 0xff) << 8) +
      (((data[i4 + 2] as number) & 0xff) << 16) +
      (((data[i4 + 3] as number) & 0xff) << 24);
    let k = Long.fromValue(word).multiply(M);
    k = k.xor(k.toInt() >>> 24);
    k = Long.fromValue(k).multiply(M);
    h = h.multiply(M).xor(k);
  }
  const tail = length & ~3;
  // The released code's switch falls through from case 3 to case 1.
  const rest = length % 4;
  if (rest >= 3) h = h.xor(((data[tail + 2] as number) & 0xff) << 16);
  if (rest >= 2) h = h.xor(((data[tail + 1] as number) & 0xff) << 8);
  if (rest >= 1) h = h.xor((data[tail] as number) & 0xff).multiply(M);
  h = h.xor(h.toInt() >>> 13).multiply(M);
  return h.xor(h.toInt() >>> 15).toInt();
}

describe('kafkajs patch: murmur2 key hash (default partitioner)', () => {
  it("gives the released Long version's hash for every key, so keys keep their partitions", () => {
    const rnd = mulberry32(3);
    const keys: Array<string | Buffer> = [
      '',
      'a',
      'ab',
      'abc',
      'abcd',
      'spiffe://corp.example/agents/research-planner',
      'jti-702b517736b1e5a25754',
      'résumé-✓',
    ];
    for (let i = 0; i < 2000; i++) keys.push(Buffer.from(Array.from({ length: Math.floor(rnd() * 70) }, () => Math.floor(rnd() * 256))));
    for (const k of keys) expect(murmur2(k), String(k)).toBe(murmur2Released(k));
    // Kafka's own vectors (UtilsTest.testMurmur2 of the Java client): keys land where Java producers put them.
    const java: Array<[string, number]> = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [k, hash] of java) expect(murmur2(k), k).toBe(hash);
  });
});
