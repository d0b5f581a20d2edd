// .ci/npm-audit.mjs against a local stand-in for the registry's audit endpoint (and a closed port): a real high or
// critical finding fails, a clean report passes, and an endpoint that cannot be reached or errors passes while saying
// plainly that nothing was checked. No request leaves 127.0.0.1.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from './support/up-process.ts';

const run = promisify(execFile);

/** Answers the bulk advisory endpoint with `answer` (or `status`), and 404 to anything else (packuments). */
async function fakeRegistry(answer: unknown, status = 200): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method === 'POST' && req.url?.startsWith('/-/npm/v1/security/advisories/bulk')) {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer));
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** Runs the CI step against `registry`, with an empty npm cache (npm caches advisories). */
async function audit(registry: string): Promise<{ code: number; out: string }> {
  const cache = mkdtempSync(join(tmpdir(), 'agentwatch-audit-cache-'));
  try {
    const env = { ...process.env, npm_config_registry: registry, npm_config_cache: cache };
    const r = await run(process.execPath, [join(ROOT, '.ci/npm-audit.mjs')], { cwd: ROOT, env });
    return { code: 0, out: r.stdout };
  } catch (e) {
    const err = e as { code: number; stdout: string };
    return { code: err.code, out: err.stdout };
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}

const advisory = (severity: string) => ({
  fastify: [
    {
      id: 1,
      url: 'https://advisories.invalid/1',
      title: 'test advisory',
      severity,
      vulnerable_versions: '<99.0.0',
      cwe: [],
      cvss: { score: 7.5, vectorString: null },
    },
  ],
});

describe('CI npm audit step', () => {
  it('fails on a high or critical advisory against a runtime dependency, naming it', async () => {
    for (const severity of ['high', 'critical']) {
      const { url, server } = await fakeRegistry(advisory(severity));
      servers.push(server);
      const r = await audit(url);
      expect(r.code, r.out).toBe(1);
      expect(r.out).toMatch(new RegExp(`FAILED: .*fastify \\(${severity}\\)`));
    }
  });

  it('passes on a clean report and on moderate advisories, saying what it found', async () => {
    for (const [answer, text] of [
      [{}, /no high or critical advisory .*0 critical, 0 high, 0 moderate/],
      [advisory('moderate'), /no high or critical advisory .*1 moderate/],
    ] as const) {
      const { url, server } = await fakeRegistry(answer);
      servers.push(server);
      const r = await audit(url);
      expect(r.code, r.out).toBe(0);
      expect(r.out).toMatch(text);
    }
  });

  it('says it could not check, and passes, when the endpoint is unreachable or errors', async () => {
    const closed = await audit('http://127.0.0.1:9/');
    expect(closed.code, closed.out).toBe(0);
    expect(closed.out).toMatch(/COULD NOT CHECK.*ECONNREFUSED/);
    expect(closed.out).not.toMatch(/no high or critical/);
    const { url, server } = await fakeRegistry({ error: 'down' }, 503);
    servers.push(server);
    const erroring = await audit(url);
    expect(erroring.code, erroring.out).toBe(0);
    expect(erroring.out).toMatch(/COULD NOT CHECK.*503/);
  });
});
