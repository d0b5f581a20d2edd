// Secrets are never printed or logged (issue 13, part 4). Real processes, the most verbose log level: `token create`,
// `up` with a bootstrap token from the environment, requests that carry tokens every way a client might (header,
// query string, wrong, revoked, malformed), `up --demo`, `up` over HTTPS, a config that fails to parse. Then EVERY line
// of stdout and stderr of every run is searched for every secret used and for pieces of it.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { join } from 'node:path';
import { simulateFleet } from '@agentwatch/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCert } from './support/self-signed-cert.ts';
import { tempDir } from './support/temp-dir.ts';
import { killAll, ROOT, spawnUp, type UpProcess } from './support/up-process.ts';

const dir = tempDir('aw-secrets-');
const data = join(dir, 'data');
// Not token-shaped on purpose: the logger must know it as a secret, not only recognise an `aw_` word.
const BOOTSTRAP = `bootstrap-${randomBytes(24).toString('base64url')}`;
const WRONG = `aw_${randomBytes(32).toString('base64url')}`;
const WRONG_PLAIN = `guess-${randomBytes(20).toString('hex')}`;
const env = { KAFKA_BROKERS: '', CLICKHOUSE_URL: '', LOG_LEVEL: 'trace', AGENTWATCH_BOOTSTRAP_TOKEN: BOOTSTRAP };
// Kafka SASL and ClickHouse passwords (issue 15 item 2): from the environment, from a file, and one written (wrongly)
// into a config file.
const KAFKA_PW = `kafkapw-${randomBytes(18).toString('base64url')}`;
const KAFKA_PW_FILE = `kafkafilepw-${randomBytes(18).toString('base64url')}`;
const CH_PW = `chpw-${randomBytes(18).toString('base64url')}`;
const INLINE_PW = `inlinepw-${randomBytes(18).toString('base64url')}`;

interface Run {
  name: string;
  stdout: string;
  stderr: string;
}
const runs: Run[] = [];
const ups: UpProcess[] = [];
const created: Record<'viewer' | 'engineer' | 'revoked', { token: string; id: string }> = {
  viewer: { token: '', id: '' },
  engineer: { token: '', id: '' },
  revoked: { token: '', id: '' },
};

/** Runs a command to its end (the CLI, or a TypeScript helper) and keeps its output for the final search. */
function run(name: string, args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  proc.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  // A command that should have ended but serves instead (e.g. `up` ignoring a bad setting) is stopped after a minute.
  const timer = setTimeout(() => proc.kill('SIGKILL'), 60_000);
  return new Promise((done) => {
    proc.once('close', (code) => {
      clearTimeout(timer);
      runs.push({ name, stdout, stderr });
      done({ code, stdout, stderr });
    });
  });
}
const cli = (name: string, args: string[], extraEnv?: Record<string, string>) => run(name, [join(ROOT, 'bin/agentwatch.mjs'), ...args], extraEnv);

async function stopUp(name: string, up: UpProcess): Promise<number | null> {
  up.proc.kill('SIGTERM');
  const { code } = await up.exited;
  runs.push({ name, stdout: up.stdout(), stderr: up.stderr() });
  return code;
}

/** Runs `body` against a started `up`, then stops it (always, so its output is searched even when `body` failed). */
async function withUp(name: string, up: UpProcess, body: (base: string) => Promise<void>): Promise<number | null> {
  let failure: unknown = null;
  try {
    await body(await up.base);
  } catch (e) {
    failure = e;
  }
  const code = await stopUp(name, up);
  if (failure) throw failure;
  return code;
}

/** A GET over HTTPS trusting `ca` only (fetch cannot take a CA without an extra dependency). */
function httpsGet(
  url: string,
  ca: string,
  headers: Record<string, string> = {},
  client: { cert?: string; key?: string } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const req = httpsRequest(url, { ca, headers, ...client }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString();
      });
      res.on('end', () => done({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

/** Sends bytes Node's HTTP parser refuses (a control character in a header name) after a valid Authorization header. */
function malformedRequest(base: string, token: string): Promise<void> {
  const { hostname, port } = new URL(base);
  return new Promise((done) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(`GET /v1/alerts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nBad\x01Header: y\r\n\r\n`);
    });
    socket.on('data', () => socket.end());
    socket.on('close', () => done());
    socket.on('error', () => done());
  });
}

beforeAll(async () => {
  await simulateFleet({ agents: 4, days: 2, seed: 13, outDir: dir });
  // Tokens are created while `up` is stopped (the embedded store belongs to one process at a time).
  for (const [key, role] of [
    ['viewer', 'viewer'],
    ['engineer', 'engineer'],
    ['revoked', 'analyst'],
  ] as const) {
    const r = await cli(`token create ${role}`, ['token', 'create', '--role', role, '--data', data]);
    expect(r.code, r.stderr).toBe(0);
    created[key] = { token: r.stdout.trim(), id: /token (\S+) \(role/.exec(r.stderr)?.[1] ?? '' };
  }
  const revoke = await run('revoke', ['--import', 'tsx', join(ROOT, 'test/support/revoke-token.ts'), data, created.revoked.id]);
  expect(revoke.code, revoke.stderr).toBe(0);
}, 180_000);

afterAll(async () => {
  await killAll(ups);
});

describe('secrets are never printed or logged', () => {
  it('token create prints the new token once on stdout, and only there', () => {
    for (const { token, id } of Object.values(created)) {
      expect(token).toMatch(/^aw_[A-Za-z0-9_-]{43}$/);
      expect(id).toMatch(/^[0-9a-f]{16}$/);
      const own = runs.filter((r) => r.stdout.includes(token));
      expect(own).toHaveLength(1);
      expect(own[0]?.stdout).toBe(`${token}\n`);
    }
  });

  it('up (bootstrap token from the environment, LOG_LEVEL=trace): header tokens work; query, wrong, revoked and malformed ones are refused', async () => {
    const up = spawnUp(['--registry', join(dir, 'registry.yaml'), '--data', data, '--listen', '127.0.0.1:0'], env);
    ups.push(up);
    const code = await withUp('up (env token, trace)', up, async (base) => {
      const get = (path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers });
      const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

      expect((await get('/v1/alerts', bearer(BOOTSTRAP))).status).toBe(200);
      expect((await get('/v1/alerts', bearer(created.viewer.token))).status).toBe(200);
      const events = readFileSync(join(dir, 'events.ndjson'), 'utf8').split('\n').filter(Boolean).slice(0, 50).join('\n');
      const posted = await fetch(`${base}/v1/events`, {
        method: 'POST',
        headers: { ...bearer(created.engineer.token), 'content-type': 'application/x-ndjson' },
        body: events,
      });
      expect(posted.status).toBe(202);

      for (const [param, secret] of [
        ['access_token', created.viewer.token],
        ['token', BOOTSTRAP],
        ['api_key', created.engineer.token],
      ] as const) {
        const r = await get(`/v1/alerts?severity=high&${param}=${encodeURIComponent(secret)}`);
        expect(r.status).toBe(400);
        const text = await r.text();
        expect(text).toContain('credentials_in_query');
        expect(text).not.toContain(secret);
      }
      // A token under an ordinary parameter name: refused as a bad value (answered to its sender), logged without it.
      expect((await get(`/v1/alerts?cursor=${BOOTSTRAP}`, bearer(created.viewer.token))).status).toBe(400);
      expect((await get(`/v1/alerts?since=${created.viewer.token}`, bearer(BOOTSTRAP))).status).toBe(400);
      expect((await get(`/no/such/route?x=${created.engineer.token}`)).status).toBe(404);

      expect((await get('/v1/alerts', bearer(WRONG))).status).toBe(401);
      expect((await get('/v1/alerts', bearer(WRONG_PLAIN))).status).toBe(401);
      expect((await get('/v1/alerts', bearer(created.revoked.token))).status).toBe(401);
      expect((await get('/v1/alerts', { authorization: created.viewer.token })).status).toBe(401);
      expect((await get('/v1/alerts', { authorization: `Basic ${Buffer.from(`u:${BOOTSTRAP}`).toString('base64')}` })).status).toBe(401);
      expect((await get('/v1/alerts', { 'x-api-key': created.viewer.token })).status).toBe(401);
      await malformedRequest(base, BOOTSTRAP);
    });
    expect(code).toBe(0);
    const log = up.stderr();
    // The log was on and saw these requests: the search below is not vacuous.
    expect(log).toMatch(/"level":10/);
    expect(log).toContain('incoming request');
    expect(log).toContain('/v1/alerts?[redacted]');
    expect(log).toContain('client error');
    expect(log).toContain('bootstrap admin token: from the environment (AGENTWATCH_BOOTSTRAP_TOKEN) (not shown)');
  }, 120_000);

  it('up --demo with AGENTWATCH_BOOTSTRAP_TOKEN says where the token comes from and does not print it', async () => {
    const up = spawnUp(['--demo', '--data', join(dir, 'demo-data'), '--listen', '127.0.0.1:0'], {
      ...env,
      LOG_LEVEL: 'debug',
    });
    ups.push(up);
    const code = await withUp('up --demo (env token)', up, async (base) => {
      // The banner is written right after the listen line.
      const deadline = Date.now() + 10_000;
      while (!up.stdout().includes('demo API token') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(up.stdout()).toContain('demo API token (admin): from the environment (AGENTWATCH_BOOTSTRAP_TOKEN), not shown');
      expect(up.stdout()).toContain('Bearer $AGENTWATCH_BOOTSTRAP_TOKEN');
      expect((await fetch(`${base}/v1/alerts`, { headers: { authorization: `Bearer ${BOOTSTRAP}` } })).status).toBe(200);
    });
    expect(code).toBe(0);
  }, 120_000);

  it('up over HTTPS (tls_cert_file/tls_key_file): health and an authenticated route with the CA; plain HTTP refused', async () => {
    const pair = selfSignedCert(dir);
    const ca = readFileSync(pair.cert, 'utf8');
    const up = spawnUp(['--registry', join(dir, 'registry.yaml'), '--data', data, '--listen', '127.0.0.1:0'], {
      ...env,
      AGENTWATCH_TLS_CERT: pair.cert,
      AGENTWATCH_TLS_KEY: pair.key,
    });
    ups.push(up);
    const code = await withUp('up (TLS)', up, async (base) => {
      expect(base).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(await httpsGet(`${base}/healthz`, ca)).toMatchObject({ status: 200 });
      expect((await httpsGet(`${base}/v1/alerts`, ca, { authorization: `Bearer ${created.viewer.token}` })).status).toBe(200);
      expect((await httpsGet(`${base}/v1/alerts`, ca, { authorization: `Bearer ${created.revoked.token}` })).status).toBe(401);
      expect((await httpsGet(`${base}/v1/alerts?access_token=${BOOTSTRAP}`, ca)).status).toBe(400);
      // Without the CA the certificate is not trusted; over plain HTTP there is no answer at all.
      await expect(httpsGet(`${base}/healthz`, '')).rejects.toThrow();
      await expect(fetch(`${base.replace('https:', 'http:')}/healthz`)).rejects.toThrow();
    });
    expect(code).toBe(0);
  }, 120_000);

  it('with tls_client_ca_file (AGENTWATCH_TLS_CLIENT_CA) a client needs a certificate the CA signed, on top of its token', async () => {
    const server = selfSignedCert(dir, 'mtls-server');
    const client = selfSignedCert(dir, 'mtls-client');
    const stranger = selfSignedCert(dir, 'mtls-stranger');
    const ca = readFileSync(server.cert, 'utf8');
    const up = spawnUp(['--registry', join(dir, 'registry.yaml'), '--data', data, '--listen', '127.0.0.1:0'], {
      ...env,
      AGENTWATCH_TLS_CERT: server.cert,
      AGENTWATCH_TLS_KEY: server.key,
      AGENTWATCH_TLS_CLIENT_CA: client.cert,
    });
    ups.push(up);
    const code = await withUp('up (mutual TLS)', up, async (base) => {
      const mine = { cert: readFileSync(client.cert, 'utf8'), key: readFileSync(client.key, 'utf8') };
      const theirs = { cert: readFileSync(stranger.cert, 'utf8'), key: readFileSync(stranger.key, 'utf8') };
      expect((await httpsGet(`${base}/v1/alerts`, ca, { authorization: `Bearer ${created.viewer.token}` }, mine)).status).toBe(200);
      expect((await httpsGet(`${base}/v1/alerts`, ca, { authorization: `Bearer ${WRONG}` }, mine)).status).toBe(401);
      await expect(httpsGet(`${base}/healthz`, ca)).rejects.toThrow();
      await expect(httpsGet(`${base}/healthz`, ca, {}, theirs)).rejects.toThrow();
    });
    expect(code).toBe(0);
  }, 120_000);

  it('bad TLS files and a config that fails to parse stop up with one clear line, quoting no secret', async () => {
    const other = selfSignedCert(dir, 'other');
    const pair = selfSignedCert(dir, 'mismatch');
    const mismatch = await cli('up (mismatched TLS pair)', ['up', '--registry', join(dir, 'registry.yaml'), '--data', join(dir, 'unused')], {
      AGENTWATCH_TLS_CERT: pair.cert,
      AGENTWATCH_TLS_KEY: other.key,
    });
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toContain(`tls_key_file: ${other.key} is not the private key of the certificate in ${pair.cert}`);

    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, `registry: ${join(dir, 'registry.yaml')}\nbootstrap_token: "${BOOTSTRAP}\nlisten: 127.0.0.1:0\n`);
    for (const args of [
      ['up', '--config', broken],
      ['token', 'create', '--role', 'viewer', '--config', broken],
    ]) {
      const r = await cli(`${args.slice(0, 2).join(' ')} (broken config)`, args, { AGENTWATCH_BOOTSTRAP_TOKEN: '' });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/broken\.yaml: not valid YAML or JSON: .*line \d+, column \d+/);
    }
  }, 120_000);

  it('Kafka SASL and ClickHouse passwords (environment, file) are not logged while up waits for a broker or fails on a store', async () => {
    const pwFile = join(dir, 'kafka-password');
    writeFileSync(pwFile, `${KAFKA_PW_FILE}\n`);
    // A broker that is not there: `up` waits (trace logging of every kafkajs attempt, SASL options in hand).
    for (const [name, password] of [
      ['env', { AGENTWATCH_KAFKA_SASL_PASSWORD: KAFKA_PW }],
      ['file', { AGENTWATCH_KAFKA_SASL_PASSWORD_FILE: pwFile }],
    ] as const) {
      const up = spawnUp(['--registry', join(dir, 'registry.yaml'), '--data', join(dir, `kafka-sasl-${name}`), '--listen', '127.0.0.1:0'], {
        ...env,
        KAFKA_BROKERS: '127.0.0.1:1',
        AGENTWATCH_KAFKA_SASL_MECHANISM: 'plain',
        AGENTWATCH_KAFKA_SASL_USERNAME: 'svc',
        ...password,
      });
      ups.push(up);
      await withUp(`up (Kafka SASL password from ${name})`, up, async () => {
        const deadline = Date.now() + 60_000;
        while (!up.stderr().includes('kafka: waiting for the broker') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
        expect(up.stderr()).toContain('kafka: waiting for the broker');
        // The settings were in force: PLAIN without TLS is warned about.
        expect(up.stderr()).toContain('SASL PLAIN without TLS sends the password in clear text');
      });
    }
    // A ClickHouse server that is not there: `up` fails on the store, with the password in hand.
    const ch = await cli('up (ClickHouse password, no server)', ['up', '--registry', join(dir, 'registry.yaml'), '--data', join(dir, 'ch-unused')], {
      CLICKHOUSE_URL: 'http://127.0.0.1:1',
      AGENTWATCH_CLICKHOUSE_USER: 'svc',
      AGENTWATCH_CLICKHOUSE_PASSWORD: CH_PW,
    });
    expect(ch.code).not.toBe(0);
    // A password written into the config file: refused, without quoting it.
    const inline = join(dir, 'inline-secret.yaml');
    writeFileSync(inline, `registry: ${join(dir, 'registry.yaml')}\nkafka_brokers: [127.0.0.1:1]\nkafka_sasl_password: ${INLINE_PW}\n`);
    const r = await cli('up (Kafka password in the config file)', ['up', '--config', inline]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('kafka_sasl_password: a secret is not accepted in the config file');
  }, 180_000);

  it('no line of any run shows a secret, or any 12-character piece of one', () => {
    const secrets = [BOOTSTRAP, WRONG, WRONG_PLAIN, ...Object.values(created).map((c) => c.token), KAFKA_PW, KAFKA_PW_FILE, CH_PW, INLINE_PW];
    /** The secret, its part after a known prefix, every 12-character window of that part, its bytes as a JSON array. */
    const pieces = (s: string): string[] => {
      const body = s.replace(/^(aw_|bootstrap-|guess-|kafkapw-|kafkafilepw-|chpw-|inlinepw-)/, '');
      const windows = Array.from({ length: body.length - 11 }, (_, i) => body.slice(i, i + 12));
      return [s, body, ...windows, Buffer.from(s).join(','), Buffer.from(body).join(',')];
    };
    const needles = secrets.map((s) => ({ label: `${s.slice(0, 6)}...`, pieces: pieces(s) }));
    expect(runs.length).toBeGreaterThanOrEqual(4);
    const found: string[] = [];
    let lines = 0;
    for (const r of runs) {
      for (const [stream, text] of [
        ['stdout', r.stdout],
        ['stderr', r.stderr],
      ] as const) {
        // token create's one job: its own token, alone on stdout (checked above).
        if (r.name.startsWith('token create') && stream === 'stdout' && !r.name.includes('broken')) continue;
        for (const line of text.split('\n')) {
          lines++;
          for (const n of needles) if (n.pieces.some((p) => line.includes(p))) found.push(`${r.name} ${stream}: ${n.label}: ${line.slice(0, 300)}`);
        }
      }
    }
    expect(lines).toBeGreaterThan(50);
    expect(found).toEqual([]);
  });
});
