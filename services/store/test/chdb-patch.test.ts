import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { Store } from '../src/index.ts';
import { closeAll, openStore } from './helpers.ts';

/**
 * patches/chdb+3.4.0.patch (applied by `npm ci`, postinstall): the chdb connection's `exec` hands an INSERT body
 * that arrives as bytes to the engine's raw entry as those bytes. Unpatched, it decoded the body into a JavaScript
 * string, appended it to the query and the engine copied it again (0.5 us per event on the one JavaScript thread,
 * and 100 MB of short-lived strings per 200k events). These tests run the real engine.
 */
const require = createRequire(import.meta.url);
const { Session } = require('chdb') as { Session: { prototype: { execInsertRaw?: (sql: string, data: Buffer) => Promise<unknown> } } };

afterAll(closeAll);
afterEach(() => {
  vi.restoreAllMocks();
});

async function table(s: Store): Promise<string> {
  const name = `${s.database}.raw_${Math.random().toString(36).slice(2, 8)}`;
  await s.client.command({ query: `CREATE TABLE ${name} (raw String) ENGINE = MergeTree ORDER BY tuple() SETTINGS non_replicated_deduplication_window = 100` });
  return name;
}

async function exec(s: Store, query: string, values: Readable | string): Promise<void> {
  const res = await s.client.exec({ query, values: values as Readable });
  res.stream.resume();
  await finished(res.stream);
}

async function rows(s: Store, name: string): Promise<string[]> {
  const rs = await s.client.query({ query: `SELECT raw FROM ${name} ORDER BY raw`, format: 'JSONEachRow' });
  return (await rs.json<{ raw: string }>()).map((r) => r.raw);
}

const insertSql = (name: string, token: string): string =>
  `INSERT INTO ${name} (raw) SETTINGS insert_deduplicate = 1, insert_deduplication_token = '${token}' FORMAT JSONAsString`;

describe('chdb connection patch: INSERT bodies as bytes', () => {
  it('is applied (npm ci runs patch-package)', () => {
    expect(typeof Session.prototype.execInsertRaw, 'patches/chdb+3.4.0.patch not applied: run npm ci').toBe('function');
  });

  it('hands a byte body to the raw entry, and stores it byte for byte (one chunk, several chunks, Uint8Array)', async () => {
    const raw = vi.spyOn(Session.prototype as Required<typeof Session.prototype>, 'execInsertRaw');
    const s = await openStore();
    const name = await table(s);
    const a = JSON.stringify({ n: 'résumé ✓', q: 'a "quoted" \\ back' });
    const b = JSON.stringify({ n: 2 });
    const c = JSON.stringify({ n: 3, nested: { x: [1, 2] } });
    await exec(s, insertSql(name, 't1'), Readable.from([Buffer.from(`${a}\n`)], { objectMode: false }));
    await exec(s, insertSql(name, 't2'), Readable.from([Buffer.from(`${b}\n`), new Uint8Array(Buffer.from(`${c}\n`))], { objectMode: false }));
    expect(raw).toHaveBeenCalledTimes(2);
    expect(await rows(s, name)).toEqual([a, b, c].sort());
  });

  it('keeps the settings of the SETTINGS clause (a repeated dedup token inserts nothing)', async () => {
    const s = await openStore();
    const name = await table(s);
    const body = (): Readable => Readable.from([Buffer.from('{"n":1}\n{"n":2}\n')], { objectMode: false });
    await exec(s, insertSql(name, 'same'), body());
    await exec(s, insertSql(name, 'same'), body());
    expect(await rows(s, name)).toHaveLength(2);
  });

  it('falls back to the string path for string chunks without losing any chunk', async () => {
    const raw = vi.spyOn(Session.prototype as Required<typeof Session.prototype>, 'execInsertRaw');
    const s = await openStore();
    const name = await table(s);
    await exec(s, insertSql(name, 'm'), Readable.from([Buffer.from('{"n":1}\n'), '{"n":2}\n', Buffer.from('{"n":3}\n')]));
    await exec(s, insertSql(name, 's'), '{"n":4}\n');
    expect(raw).not.toHaveBeenCalled();
    expect(await rows(s, name)).toEqual(['{"n":1}', '{"n":2}', '{"n":3}', '{"n":4}']);
  });

  it('treats an empty or blank byte body as nothing to insert', async () => {
    const s = await openStore();
    const name = await table(s);
    await exec(s, insertSql(name, 'e'), Readable.from([Buffer.alloc(0)], { objectMode: false }));
    await exec(s, insertSql(name, 'b'), Readable.from([Buffer.from(' \n\t\n')], { objectMode: false }));
    expect(await rows(s, name)).toEqual([]);
  });

  it('reports a bad body as a ClickHouse error naming the problem, and stores none of it', async () => {
    const s = await openStore();
    const name = await table(s);
    const err = await exec(s, insertSql(name, 'bad'), Readable.from([Buffer.from('{"n":1}\n{"n": oops\n')], { objectMode: false })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message)).toMatch(/JSON|parse|oops/i);
    expect(await rows(s, name)).toEqual([]);
  });
});
