import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { selfSignedCert } from '../../../test/support/self-signed-cert.ts';
import { tempDir } from '../../../test/support/temp-dir.ts';
import { chunks } from '../src/transports/batch-split.ts';
import { excerpt, HttpPoster, replyError, retryAfterMs } from '../src/transports/http-post.ts';
import { DeliveryError } from '../src/transports/transport.ts';
import { type Receiver, startReceiver } from './http-receiver.ts';

const open: Array<{ close(): Promise<void> } | Receiver> = [];
afterEach(async () => {
  for (const o of open.splice(0)) await ('stop' in o ? o.stop() : o.close());
});

async function receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
  const r = await startReceiver(...args);
  open.push(r);
  return r;
}
function poster(...args: ConstructorParameters<typeof HttpPoster>): HttpPoster {
  const p = new HttpPoster(...args);
  open.push(p);
  return p;
}
async function failure(p: Promise<unknown>): Promise<DeliveryError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DeliveryError);
  return e as DeliveryError;
}
const req = { body: '{"a":1}', headers: { 'Content-Type': 'application/json' } };

describe('reply classification', () => {
  const reply = (status: number, headers: Record<string, string> = {}, body = '') => ({ status, headers, body });

  it('2xx is ok; only statuses refusing the bytes (400, 413, 415, 422) are permanent, with the status and an excerpt', () => {
    for (const s of [200, 201, 204]) expect(replyError(reply(s), 'x')).toBeNull();
    for (const s of [301, 401, 403, 404, 408, 429, 500, 502, 503, 504]) expect(replyError(reply(s), 'x')?.permanent, String(s)).toBe(false);
    for (const s of [400, 413, 415, 422]) expect(replyError(reply(s), 'x')?.permanent, String(s)).toBe(true);
    expect(replyError(reply(400, {}, 'bad\nfield "x"'), 'http://h/p')?.message).toBe('http://h/p: HTTP 400: bad field "x"');
  });

  it('honours Retry-After in seconds or as an HTTP date, capped at an hour, on transient replies only', () => {
    const now = Date.parse('2026-10-16T08:00:00Z');
    expect(replyError(reply(503, { 'retry-after': '7' }), 'x', now)?.opts.retryAfterMs).toBe(7000);
    expect(replyError(reply(429, { 'retry-after': 'Fri, 16 Oct 2026 08:00:30 GMT' }), 'x', now)?.opts.retryAfterMs).toBe(30_000);
    expect(retryAfterMs('999999', now)).toBe(3_600_000);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
    expect(replyError(reply(400, { 'retry-after': '7' }), 'x', now)?.opts.retryAfterMs).toBeUndefined();
  });

  it('quotes at most 200 printable characters of a reply', () => {
    expect(excerpt(`${'x'.repeat(500)}`)).toHaveLength(203);
    expect(excerpt('a\u0000\u001b[31mb')).toBe('a [31mb');
  });
});

describe('batch split under a body cap', () => {
  it('keeps order, fills each request up to the cap, and isolates a line over the cap', () => {
    expect(chunks(['aaaa', 'bbbb', 'cccc'], 9)).toEqual([
      [0, 2],
      [2, 3],
    ]);
    expect(chunks(['aaaa', 'bbbb', 'cccc'], 100)).toEqual([[0, 3]]);
    expect(chunks(['aa', 'bbbbbbbbbbbb', 'cc'], 5)).toEqual([
      [0, 1],
      [1, 1],
    ]);
    expect(chunks([], 5)).toEqual([]);
  });
});

describe('HttpPoster against a loopback receiver', () => {
  it('posts the body and headers and returns the reply', async () => {
    const r = await receiver({ reply: () => ({ status: 202, body: 'taken' }) });
    const reply = await poster({ url: r.url('/in?k=v') }).post(req);
    expect(reply).toMatchObject({ status: 202, body: 'taken' });
    expect(r.requests).toEqual([expect.objectContaining({ method: 'POST', path: '/in?k=v', body: '{"a":1}' })]);
    expect(r.requests[0]?.headers['content-type']).toBe('application/json');
  });

  it('503 with Retry-After then 200: a transient error, then ok', async () => {
    const r = await receiver({ reply: (_, n) => (n === 1 ? { status: 503, headers: { 'Retry-After': '2' }, body: 'busy' } : { status: 200 }) });
    const p = poster({ url: r.url('/') });
    const e = await failure(p.post(req));
    expect(e).toMatchObject({ permanent: false, delivered: 0 });
    expect(e.opts.retryAfterMs).toBe(2000);
    await expect(p.post(req)).resolves.toMatchObject({ status: 200 });
  });

  it('a receiver that never answers: a transient error after timeoutMs, not later', async () => {
    const r = await receiver({ reply: () => 'hang' });
    const started = Date.now();
    const e = await failure(poster({ url: r.url('/'), timeoutMs: 300 }).post(req));
    expect(e.permanent).toBe(false);
    expect(e.message).toMatch(/no complete reply within 300 ms/);
    // Generous bound: the deadline, not some default socket timeout, ended the wait.
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('a stopped receiver: a transient connection error; after a restart the pooled connection is replaced', async () => {
    const r = await receiver();
    const p = poster({ url: r.url('/'), timeoutMs: 2000 });
    await p.post(req);
    await r.stop();
    const e = await failure(p.post(req));
    expect(e.permanent).toBe(false);
    expect(e.message).toMatch(/ECONNREFUSED|ECONNRESET|socket hang up/);
    await r.restart();
    await expect(p.post(req)).resolves.toMatchObject({ status: 200 });
  });

  it('refuses a body over the cap without sending it (permanent)', async () => {
    const r = await receiver();
    const e = await failure(poster({ url: r.url('/'), maxBodyBytes: 4 }).post(req));
    expect(e.permanent).toBe(true);
    expect(r.requests).toHaveLength(0);
  });

  it('reads at most 64 KiB of a reply', async () => {
    const r = await receiver({ reply: () => ({ status: 200, body: 'x'.repeat(1024 * 1024) }) });
    const reply = await poster({ url: r.url('/') }).post(req);
    expect(reply.body.length).toBe(64 * 1024);
  });

  it('names the receiver without userinfo or query (they may carry credentials)', async () => {
    const r = await receiver({ reply: () => ({ status: 403 }) });
    const url = r.url('/p?token=sekrit').replace('http://', 'http://user:pw@');
    const e = await failure(poster({ url }).post(req));
    expect(e.message).not.toMatch(/sekrit|pw/);
    expect(e.message).toContain('/p: HTTP 403');
  });

  it('TLS: trusts a receiver whose CA it is given, and fails (transient) against one it does not trust', async () => {
    const dir = tempDir('aw-http-post-tls-');
    const pair = selfSignedCert(dir, 'receiver');
    const tls = { cert: readFileSync(pair.cert, 'utf8'), key: readFileSync(pair.key, 'utf8') };
    const r = await receiver({ tls });
    await expect(poster({ url: r.url('/'), tls: { ca: tls.cert } }).post(req)).resolves.toMatchObject({ status: 200 });
    const e = await failure(poster({ url: r.url('/') }).post(req));
    expect(e.permanent).toBe(false);
    expect(e.message).toMatch(/self.signed|certificate/i);
    expect(r.requests).toHaveLength(1);
  });
});
