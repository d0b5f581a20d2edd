import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from './support/temp-dir.ts';
import { killAll, ROOT, spawnLocalUp, type UpProcess, waitFor } from './support/up-process.ts';

/**
 * API 1.1 admin against a real `agentwatch up` (embedded store): tokens created by the CLI before and through the API
 * while up runs, used, listed without secrets and revoked; every registry version up loads (start and hot reload) is
 * recorded, a refused reload is not.
 */
const BOOTSTRAP = 'aw_test_up_admin_bootstrap_0123456789abcdef';
const dir = tempDir('aw-up-admin-');
const data = join(dir, 'data');
const registryFile = join(dir, 'registry.yaml');
const agent = (id: string) => `  - { id: ${id}, name: ${id}, owner: alice@corp.example, status: active, purpose: tests, registered_at: 2026-01-01 }\n`;
const V1 = `agents:\n${agent('invoice-bot')}`;
const V2 = `agents:\n${agent('invoice-bot')}${agent('ocr-bot')}`;
const BROKEN = `agents:\n${agent('invoice-bot')}${agent('invoice-bot')}`;
const V3 = `agents:\n${agent('invoice-bot')}${agent('ocr-bot')}${agent('mail-bot')}`;
const sha = (t: string) => createHash('sha256').update(t).digest('hex');
const procs: UpProcess[] = [];
afterAll(() => killAll(procs));

const cli = (...args: string[]) =>
  spawnSync(process.execPath, [join(ROOT, 'bin/agentwatch.mjs'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, CLICKHOUSE_URL: '', KAFKA_BROKERS: '' },
  });

interface Version {
  sha256: string;
  loaded_at: string;
  agent_count: number;
  source: string;
}

describe('agentwatch up: tokens and registry versions', () => {
  it('CLI and API tokens work with their role, list without secrets and stop when revoked; each registry load is a version', async () => {
    writeFileSync(registryFile, V1);
    // Before up: the CLI creates a named, expiring token (and refuses an expiry in the past in one line).
    const past = cli('token', 'create', '--role', 'engineer', '--expires', '2020-01-01T00:00:00Z', '--data', data);
    expect(past.status).toBe(2);
    expect(past.stderr.trim().split('\n')).toEqual([expect.stringMatching(/--expires "2020-01-01T00:00:00Z": expected a time in the future/)]);
    const made = cli('token', 'create', '--role', 'engineer', '--name', 'ci pipeline', '--expires', '30d', '--data', data);
    expect(made.status, made.stderr).toBe(0);
    const cliToken = made.stdout.trim();

    const up = spawnLocalUp(dir, BOOTSTRAP);
    procs.push(up);
    const base = await up.base;
    const call = async (method: string, path: string, token: string, body?: unknown) => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { message: string } } };
    };

    // The CLI's token, as the API lists it.
    const listed = (await call('GET', '/v1/tokens', BOOTSTRAP)).body['tokens'] as Array<Record<string, unknown>>;
    const fromCli = listed.find((t) => t['name'] === 'ci pipeline');
    expect(fromCli).toMatchObject({ role: 'engineer', created_by: 'cli', revoked_at: null, expired: false });
    const days = (Date.parse(String(fromCli?.['expires_at'])) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29);
    expect(days).toBeLessThanOrEqual(30);
    expect((await call('GET', '/v1/session', cliToken)).body).toMatchObject({ role: 'engineer', name: 'ci pipeline' });

    // Create through the API while up holds the store, use it, revoke it.
    const created = await call('POST', '/v1/tokens', BOOTSTRAP, { role: 'analyst', name: 'Bob' });
    expect(created.status).toBe(201);
    const analyst = String(created.body['token']);
    const id = String(created.body['token_id']);
    expect((await call('GET', '/v1/alerts', analyst)).status).toBe(200);
    expect((await call('POST', '/v1/tokens', analyst, { role: 'admin', name: 'escalation' })).status).toBe(403);
    const all = await fetch(`${base}/v1/tokens`, { headers: { authorization: `Bearer ${BOOTSTRAP}` } }).then((r) => r.text());
    expect(all).toContain(id);
    expect(all).not.toContain(analyst);
    expect(all).not.toContain(sha(analyst));
    const revoked = await call('DELETE', `/v1/tokens/${id}`, BOOTSTRAP);
    expect(revoked.status).toBe(200);
    expect((revoked.body['token'] as Record<string, unknown>)['revoked_at']).toEqual(expect.any(String));
    expect((await call('GET', '/v1/alerts', analyst)).status).toBe(401);
    expect((await call('DELETE', '/v1/tokens/bootstrap', BOOTSTRAP)).status).toBe(404);

    // Registry: the version loaded at start, then each hot reload; a refused file is not a version.
    const versions = async () => (await call('GET', '/v1/registry/versions', cliToken)).body['versions'] as Version[];
    const source = resolve(registryFile);
    expect(await versions()).toEqual([{ sha256: sha(V1), loaded_at: expect.any(String), agent_count: 1, source }]);
    expect((await call('GET', '/v1/registry', cliToken)).body).toMatchObject({ version: { sha256: sha(V1), agent_count: 1, source } });

    writeFileSync(registryFile, V2);
    await waitFor('the reload of V2 as a version', async () => ((await versions()).length === 2 ? true : null), 60_000, up.stderr);
    const refusals = () => up.stderr().split('registry change refused').length - 1;
    const refusedBefore = refusals();
    writeFileSync(registryFile, BROKEN);
    await waitFor('the refused reload in the log', async () => (refusals() > refusedBefore ? true : null), 60_000, up.stderr);
    writeFileSync(registryFile, V3);
    await waitFor('the reload of V3 as a version', async () => ((await versions()).length === 3 ? true : null), 60_000, up.stderr);
    const seen = await versions();
    expect(seen.map((v) => [v.sha256, v.agent_count])).toEqual([
      [sha(V3), 3],
      [sha(V2), 2],
      [sha(V1), 1],
    ]);
    expect(seen.map((v) => v.sha256)).not.toContain(sha(BROKEN));
    const inForce = (await call('GET', '/v1/registry', cliToken)).body as { version: Version; registry: { agents: Array<{ id: string }> } };
    expect(inForce.version).toEqual(seen[0]);
    expect(inForce.registry.agents.map((a) => a.id)).toEqual(['invoice-bot', 'ocr-bot', 'mail-bot']);
    const withContent = (await call('GET', `/v1/registry/versions?sha256=${sha(V2)}`, cliToken)).body['versions'] as Array<{ content: string }>;
    expect(withContent[0]?.content).toBe(V2);

    up.proc.kill('SIGTERM');
    expect((await up.exited).code).toBe(0);
  }, 240_000);
});
