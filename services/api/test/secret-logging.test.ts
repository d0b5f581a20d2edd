import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import type { Store } from '@agentwatch/store';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toolCall } from '../../store/test/helpers.ts';
import { buildServer, createMemoryTokenStore } from '../src/index.ts';
import { createScrubber, redactUrl, secretSafeSerializers } from '../src/log-redaction.ts';
import { credentialQueryParameter } from '../src/query-credentials.ts';

// The server's own guarantees, with a plain pino logger (no redaction options): whatever logger `up` or an embedder
// hands in, the server logs no token, no query string, no header and no raw request bytes, even at trace level.

const BOOTSTRAP = `boot-${randomBytes(24).toString('hex')}`;
const lines: string[] = [];
const logger = pino({ level: 'trace' }, { write: (l: string) => void lines.push(l) });
let app: FastifyInstance;
let viewer = '';
let failIngest = false;

/** Secrets and the pieces of them a careless log could still show. */
const forms = (secret: string): string[] => [secret, secret.replace(/^aw_|^boot-/, ''), Buffer.from(secret).join(',')];
const leaks = (secrets: string[]): string[] => lines.filter((l) => secrets.some((s) => forms(s).some((f) => l.includes(f))));

beforeAll(async () => {
  const tokens = createMemoryTokenStore();
  viewer = (await tokens.createToken('viewer')).token;
  app = buildServer({
    store: { database: 'unused' } as unknown as Store,
    tokens,
    bootstrapToken: BOOTSTRAP,
    logger,
    ingest: async () => {
      if (failIngest) throw new Error(`upstream refused the request with Authorization: Bearer ${viewer} and bootstrap ${BOOTSTRAP}`);
      return { accepted: 0, rejected: [] };
    },
    ready: async () => true,
  });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
});

describe('tokens are read from the Authorization header only', () => {
  it('a token in the header authenticates and is not logged', async () => {
    lines.length = 0;
    const r = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${viewer}` } });
    expect(r.statusCode).toBe(200);
    expect(lines.some((l) => l.includes('incoming request'))).toBe(true);
    expect(leaks([viewer])).toEqual([]);
  });

  it.each(['access_token', 'token', 'api_key', 'apikey', 'Access-Token', 'access%5Ftoken', 'password'])(
    '?%s=<token> is refused with 400, naming the header, without echoing or logging the value',
    async (name) => {
      lines.length = 0;
      const r = await app.inject({ method: 'GET', url: `/metrics?${name}=${encodeURIComponent(viewer)}`, headers: { authorization: `Bearer ${viewer}` } });
      expect(r.statusCode).toBe(400);
      const body = r.json() as { error: { code: string; message: string } };
      expect(body.error.code).toBe('credentials_in_query');
      expect(body.error.message).toContain('Authorization: Bearer');
      expect(r.body).not.toContain(viewer);
      expect(leaks([viewer])).toEqual([]);
    },
  );

  it('a token in the query string never authenticates, even on a route that ignores the query', async () => {
    const r = await app.inject({ method: 'GET', url: `/metrics?t=${viewer}` });
    expect(r.statusCode).toBe(401);
  });

  it('any query string is logged redacted (an unknown route too)', async () => {
    lines.length = 0;
    await app.inject({ method: 'GET', url: `/metrics?since=${viewer}`, headers: { authorization: `Bearer ${BOOTSTRAP}` } });
    await app.inject({ method: 'GET', url: `/nowhere?x=${BOOTSTRAP}` });
    expect(lines.some((l) => l.includes('/metrics?[redacted]'))).toBe(true);
    expect(leaks([viewer, BOOTSTRAP])).toEqual([]);
  });

  it('an error whose message quotes the header or the bootstrap token is logged scrubbed', async () => {
    lines.length = 0;
    failIngest = true;
    try {
      const r = await app.inject({
        method: 'POST',
        url: '/v1/events',
        headers: { authorization: `Bearer ${BOOTSTRAP}`, 'content-type': 'application/x-ndjson' },
        payload: `${JSON.stringify(toolCall('e-1', '2026-11-02T09:00:00Z'))}\n`,
      });
      expect(r.statusCode).toBe(500);
      expect(r.body).not.toContain(viewer);
    } finally {
      failIngest = false;
    }
    expect(lines.some((l) => l.includes('"level":50'))).toBe(true);
    const serialized = JSON.stringify(
      secretSafeSerializers(createScrubber([BOOTSTRAP])).err(new Error(`upstream: Authorization: Bearer ${viewer}; bootstrap ${BOOTSTRAP}`)),
    );
    expect(serialized).not.toContain(viewer);
    expect(serialized).not.toContain(BOOTSTRAP);
    expect(leaks([viewer, BOOTSTRAP])).toEqual([]);
  });

  it("a malformed request's raw bytes (Node's rawPacket, logged at trace) never reach the log", async () => {
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = new URL(address);
    lines.length = 0;
    await new Promise<void>((done) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(`GET /metrics?access_token=${viewer} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${viewer}\r\nBad Header\x01: y\r\n\r\n`);
      });
      socket.on('data', () => socket.end());
      socket.on('close', () => done());
      socket.on('error', () => done());
    });
    expect(lines.some((l) => l.includes('client error'))).toBe(true);
    expect(leaks([viewer])).toEqual([]);
  });
});

describe('redaction helpers', () => {
  it('redactUrl keeps the path and drops the query string', () => {
    expect(redactUrl('/v1/alerts?access_token=abc&x=1')).toBe('/v1/alerts?[redacted]');
    expect(redactUrl('/v1/alerts')).toBe('/v1/alerts');
  });

  it('the scrubber removes known secrets (raw, JSON-escaped, URL-encoded), bearer values, aw_ tokens and query strings', () => {
    const odd = 'pa"ss/word with spaces';
    const scrub = createScrubber([odd, 'short']);
    const text = `a ${odd} b ${JSON.stringify(odd)} c ${encodeURIComponent(odd)} Bearer abcdefgh12345 aw_${'x'.repeat(40)} GET /v1/x?token=zzz short`;
    const out = scrub(text);
    expect(out).not.toContain('pa"ss');
    expect(out).not.toContain('pa\\"ss');
    expect(out).not.toContain('pa%22ss');
    expect(out).not.toContain('abcdefgh12345');
    expect(out).not.toContain('x'.repeat(40));
    expect(out).not.toContain('zzz');
    // Values under 8 characters are not treated as secrets (they would match ordinary words).
    expect(out).toContain('short');
  });

  it('scrubbing is linear in hostile text (long runs of slashes, question marks, token prefixes)', () => {
    const scrub = createScrubber(['a-known-secret-value']);
    // Quadratic scanning of these would run for hours; the test timeout is the bound.
    for (const junk of ['/a'.repeat(200_000), `${'/?'.repeat(200_000)}x`, 'aw_'.repeat(200_000), 'Bearer '.repeat(200_000)]) {
      expect(scrub(junk).length).toBeGreaterThan(0);
    }
    expect(scrub('see /v1/x?token=abc and https://h/p?q=1, not a question?')).toBe('see /v1/x?[redacted] and https://h/p?[redacted] not a question?');
  });

  it('credentialQueryParameter names the credential parameter, decoded, and ignores others', () => {
    expect(credentialQueryParameter('/v1/alerts?severity=high&access_token=x')).toBe('access_token');
    expect(credentialQueryParameter('/v1/alerts?API-KEY=x')).toBe('API-KEY');
    expect(credentialQueryParameter('/v1/alerts?severity=high&cursor=abc')).toBeUndefined();
    expect(credentialQueryParameter('/v1/alerts')).toBeUndefined();
  });
});
