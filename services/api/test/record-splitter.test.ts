// record-splitter.ts: the record boundaries of NDJSON and JSON array bodies, whatever the chunking; oversized
// records delimited but not held; seeded fuzz (random JSON values, random chunk cuts) against JSON.parse.
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../test/support/prng.ts';
import { jsonArraySplitter, ndjsonSplitter, type RecordSplitter, type SplitRecord } from '../src/record-splitter.ts';

/** Feeds `body` in chunks cut at the given sizes (cycled) and collects the records. */
function split(splitter: RecordSplitter, body: Buffer, cuts: number[] = [body.length || 1]): SplitRecord[] {
  const out: SplitRecord[] = [];
  const emit = (r: SplitRecord) => out.push({ ...r, bytes: Buffer.from(r.bytes) });
  let at = 0;
  let i = 0;
  while (at < body.length) {
    const n = Math.max(1, cuts[i++ % cuts.length] as number);
    splitter.push(body.subarray(at, at + n), emit);
    at += n;
  }
  splitter.end(emit);
  return out;
}

const texts = (rs: SplitRecord[]) => rs.map((r) => r.bytes.toString('utf8'));

/** A random JSON value with strings full of the characters the splitter must get right. */
function randomValue(rnd: () => number, depth = 0): unknown {
  const pick = Math.floor(rnd() * (depth > 3 ? 4 : 7));
  const str = () => {
    const alphabet = ['a', '"', '\\', '[', ']', '{', '}', ',', '\n', ' ', 'é', '😀', '\u2028', '\\"'];
    return Array.from({ length: Math.floor(rnd() * 12) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('');
  };
  switch (pick) {
    case 0:
      return Math.floor(rnd() * 1e6) - 5e5;
    case 1:
      return str();
    case 2:
      return rnd() < 0.5 ? null : rnd() < 0.5;
    case 3:
      return rnd() * 1000;
    case 4:
      return Array.from({ length: Math.floor(rnd() * 4) }, () => randomValue(rnd, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let k = Math.floor(rnd() * 4); k > 0; k--) o[str()] = randomValue(rnd, depth + 1);
      return o;
    }
  }
}

const ws = (rnd: () => number) => [' ', '\n', '\t', '\r\n', ''][Math.floor(rnd() * 5)] as string;

describe('jsonArraySplitter', () => {
  it('seeded fuzz: every element of a random array comes back as its own record, whatever the chunk cuts', () => {
    const rnd = mulberry32(1337);
    for (let round = 0; round < 400; round++) {
      const values = Array.from({ length: Math.floor(rnd() * 8) }, () => randomValue(rnd));
      const body = Buffer.from(`${ws(rnd)}[${ws(rnd)}${values.map((v) => `${JSON.stringify(v)}${ws(rnd)}`).join(`,${ws(rnd)}`)}]${ws(rnd)}`);
      const cuts = Array.from({ length: 5 }, () => 1 + Math.floor(rnd() * 40));
      const records = split(jsonArraySplitter(1 << 20), body, cuts);
      expect(records.map((r) => r.error)).toEqual(values.map(() => undefined));
      expect(texts(records).map((t) => JSON.parse(t))).toEqual(values);
      expect(records.map((r) => r.position)).toEqual(values.map((_, i) => i + 1));
    }
  });

  it('seeded fuzz: random bytes never throw, records never exceed the cap, sizes add up to at most the body', () => {
    const rnd = mulberry32(7);
    const alphabet = Buffer.from('[]{}",\\ \nax1:');
    for (let round = 0; round < 300; round++) {
      const body = Buffer.from(Array.from({ length: Math.floor(rnd() * 200) }, () => alphabet[Math.floor(rnd() * alphabet.length)] as number));
      const cap = 1 + Math.floor(rnd() * 20);
      const records = split(jsonArraySplitter(cap), body, [1 + Math.floor(rnd() * 30)]);
      let total = 0;
      for (const r of records) {
        expect(r.bytes.length).toBeLessThanOrEqual(cap);
        expect(r.oversized).toBe(r.size > cap);
        total += r.size;
      }
      expect(total).toBeLessThanOrEqual(body.length);
    }
  });

  it('an oversized element is delimited, its size counted and only its first bytes kept; neighbours intact', () => {
    const big = JSON.stringify({ note: 'A'.repeat(5000) });
    const body = Buffer.from(`[{"a":1},${big},{"b":2}]`);
    const records = split(jsonArraySplitter(1000), body, [333]);
    expect(records).toHaveLength(3);
    expect(records[1]).toMatchObject({ position: 2, oversized: true, size: big.length });
    expect(records[1]?.bytes.length).toBe(1000);
    expect(texts([records[0] as SplitRecord, records[2] as SplitRecord])).toEqual(['{"a":1}', '{"b":2}']);
  });

  it('structural faults are records with an error and a position; what came before stands', () => {
    const one = (s: string) => split(jsonArraySplitter(1 << 20), Buffer.from(s)).map((r) => ({ p: r.position, t: r.bytes.toString(), e: r.error }));
    expect(one('{"kind":"x"}')).toEqual([{ p: 1, t: '{"kind":"x"}', e: expect.stringMatching(/expected a JSON array/) }]);
    expect(one('[1,2] junk')).toEqual([
      { p: 1, t: '1', e: undefined },
      { p: 2, t: '2', e: undefined },
      { p: 3, t: 'junk', e: expect.stringMatching(/text after the end of the array/) },
    ]);
    expect(one('[1,,2,]')).toEqual([
      { p: 1, t: '1', e: undefined },
      { p: 2, t: '', e: expect.stringMatching(/empty array element/) },
      { p: 3, t: '2', e: undefined },
      { p: 4, t: '', e: expect.stringMatching(/empty array element/) },
    ]);
    expect(one('[{"a":1},{"b":"unclosed')).toEqual([
      { p: 1, t: '{"a":1}', e: undefined },
      { p: 2, t: '{"b":"unclosed', e: expect.stringMatching(/not closed/) },
    ]);
    expect(one('[1,')).toEqual([
      { p: 1, t: '1', e: undefined },
      { p: 2, t: '', e: expect.stringMatching(/not closed/) },
    ]);
    // A stray closer stays in its element (which JSON.parse then rejects); the next element is still found.
    expect(one('[{"a":1}},{"b":2}]').map((r) => r.t)).toEqual(['{"a":1}}', '{"b":2}']);
    expect(one('   ')).toEqual([]);
    expect(one('[]')).toEqual([]);
    expect(one('\ufeff[1]')).toEqual([{ p: 1, t: '1', e: undefined }]);
  });
});

describe('ndjsonSplitter', () => {
  it('lines with their numbers; blank lines skipped but counted; CR dropped; any chunking', () => {
    const body = Buffer.from('{"a":1}\r\n\n  \n{"b":"x\\ny"}\nlast');
    for (const cut of [1, 2, 3, 7, 100]) {
      const records = split(ndjsonSplitter(1 << 20), body, [cut]);
      expect(records.map((r) => [r.position, r.bytes.toString()])).toEqual([
        [1, '{"a":1}'],
        [4, '{"b":"x\\ny"}'],
        [5, 'last'],
      ]);
    }
  });

  it('an oversized line keeps only its first bytes and its full size; the next line is intact', () => {
    const body = Buffer.from(`short\n${'x'.repeat(10_000)}\nnext\n`);
    const records = split(ndjsonSplitter(100), body, [999]);
    expect(records.map((r) => [r.position, r.size, r.oversized, r.bytes.length])).toEqual([
      [1, 5, false, 5],
      [2, 10_000, true, 100],
      [3, 4, false, 4],
    ]);
  });
});
