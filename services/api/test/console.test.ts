import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '@agentwatch/store';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/temp-dir.ts';
import { buildServer, createMemoryTokenStore } from '../src/index.ts';
import { CONSOLE_CSP, registerConsole } from '../src/routes/console.ts';

/** A bare server with the console on `dir` and a JSON 404 like the API's. */
async function consoleServer(dir: string): Promise<FastifyInstance> {
  const app = Fastify();
  app.get('/v1/alerts', async () => ({ alerts: [] }));
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ error: { code: 'not_found', message: `no route ${req.method} ${req.url}`, details: [] } });
  });
  registerConsole(app, { dir });
  await app.ready();
  return app;
}

describe('console static files (routes/console.ts)', () => {
  const dist = join(tempDir('aw-console-'), 'dist');
  const INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body></body></html>';
  let app: FastifyInstance;
  beforeAll(async () => {
    mkdirSync(join(dist, 'assets'), { recursive: true });
    writeFileSync(join(dist, 'index.html'), INDEX);
    writeFileSync(join(dist, 'assets', 'index-abc123.js'), 'console.log(1)');
    writeFileSync(join(dist, '.secret'), 'no');
    app = await consoleServer(dist);
  });
  afterAll(async () => app?.close());

  it('serves index.html at / without a token, with the CSP', async () => {
    const r = await app.inject({ method: 'GET', url: '/' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/text\/html/);
    expect(r.body).toBe(INDEX);
    expect(r.headers['content-security-policy']).toBe(CONSOLE_CSP);
    expect(r.headers['content-security-policy']).toContain("default-src 'self'");
    expect(r.headers['x-content-type-options']).toBe('nosniff');
  });

  it('answers client routes with index.html (SPA fallback), query strings included', async () => {
    for (const url of ['/alerts', '/alerts/al_1?x=1', '/agents/spiffe%3A%2F%2Fdemo%2Fa', '/incidents/inc_1', '/tokens']) {
      const r = await app.inject({ method: 'GET', url });
      expect(r.statusCode, url).toBe(200);
      expect(r.body, url).toBe(INDEX);
      expect(r.headers['cache-control'], url).toBe('no-cache');
    }
  });

  it('serves hashed assets as immutable files with their MIME type', async () => {
    const r = await app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/javascript/);
    expect(r.headers['cache-control']).toContain('immutable');
    expect(r.body).toBe('console.log(1)');
  });

  it('a missing asset, a dotfile or a path out of the folder is a 404, never index.html', async () => {
    for (const url of ['/assets/gone.js', '/assets/sub/', '/.secret', '/..%2F..%2Fetc%2Fpasswd', '/favicon.ico', '/nope', '/alerts/a/b', '/tokens/x']) {
      const r = await app.inject({ method: 'GET', url });
      expect(r.statusCode, url).toBe(404);
      expect(r.body, url).not.toContain('<!doctype html>');
    }
  });

  it('never answers an API path or another method: those keep the JSON 404', async () => {
    for (const url of ['/v1/nothing', '/v1', '/openapi.json', '/healthz', '/readyz', '/metrics']) {
      const r = await app.inject({ method: 'GET', url });
      expect(r.statusCode, url).toBe(404);
      expect(r.json(), url).toMatchObject({ error: { code: 'not_found' } });
    }
    expect((await app.inject({ method: 'POST', url: '/alerts' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/v1/alerts' })).json()).toEqual({ alerts: [] });
  });

  it('without a build, / explains how to build the console (and the API still answers)', async () => {
    const bare = await consoleServer(join(tempDir('aw-console-none-'), 'dist'));
    try {
      for (const url of ['/', '/alerts']) {
        const r = await bare.inject({ method: 'GET', url });
        expect(r.statusCode, url).toBe(503);
        expect(r.headers['content-type']).toMatch(/text\/html/);
        expect(r.body).toContain('npm run build -w @agentwatch/console');
      }
      expect((await bare.inject({ method: 'GET', url: '/v1/alerts' })).statusCode).toBe(200);
    } finally {
      await bare.close();
    }
  });
});

describe('console inside the API server', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = buildServer({
      store: { database: 'unused' } as Store,
      ingest: async () => ({ accepted: 0, rejected: [] }),
      tokens: createMemoryTokenStore(),
      ready: async () => true,
    });
    await app.ready();
  });
  afterAll(async () => app?.close());

  it('leaves the API as it was: unknown /v1 paths are JSON 404s, /v1 routes still need a token, health needs none', async () => {
    const nope = await app.inject({ method: 'GET', url: '/v1/no-such-route' });
    expect(nope.statusCode).toBe(404);
    expect(nope.json()).toMatchObject({ error: { code: 'not_found' } });
    expect((await app.inject({ method: 'GET', url: '/v1/alerts' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).filter((p) => !/^\/(v1\/|openapi\.json|healthz|readyz|metrics)/.test(p))).toEqual([]);
  });

  it('serves the console (or the how-to-build page) at / without a token, and refuses a token in its URL', async () => {
    const r = await app.inject({ method: 'GET', url: '/' });
    expect([200, 503]).toContain(r.statusCode);
    expect(r.headers['content-type']).toMatch(/text\/html/);
    expect(r.headers['content-security-policy']).toBe(CONSOLE_CSP);
    const leaked = await app.inject({ method: 'GET', url: '/alerts?token=aw_secret_123' });
    expect(leaked.statusCode).toBe(400);
    expect(leaked.body).not.toContain('aw_secret_123');
  });
});
