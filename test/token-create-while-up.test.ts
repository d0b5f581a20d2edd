import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from './support/temp-dir.ts';
import { killAll, ROOT, spawnLocalUp, type UpProcess } from './support/up-process.ts';

/** cli.md 1.1: `token create` while `up` holds the embedded store fails with one line naming POST /v1/tokens. */
const dir = tempDir('aw-token-lock-');
const data = join(dir, 'data');
writeFileSync(
  join(dir, 'registry.yaml'),
  'agents:\n  - { id: invoice-bot, name: Invoice bot, owner: alice@corp.example, status: active, purpose: invoices, registered_at: 2026-01-01 }\n',
);
const procs: UpProcess[] = [];
afterAll(() => killAll(procs));

const tokenCreate = () =>
  spawnSync(process.execPath, [join(ROOT, 'bin/agentwatch.mjs'), 'token', 'create', '--role', 'viewer', '--data', data], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, CLICKHOUSE_URL: '', KAFKA_BROKERS: '' },
  });

describe('agentwatch token create and a running up', () => {
  it('says in one line that up holds the store and names POST /v1/tokens; works again once up stopped', async () => {
    const up = spawnLocalUp(dir, 'aw_test_token_lock_0123456789abcdef');
    procs.push(up);
    await up.base;
    const held = tokenCreate();
    expect(held.status).toBe(1);
    expect(held.stdout).toBe('');
    const lines = held.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/held by a running agentwatch up; create the token there with POST \/v1\/tokens/);
    up.proc.kill('SIGTERM');
    expect((await up.exited).code).toBe(0);
    expect(existsSync(join(data, 'up.pid'))).toBe(false);
    const free = tokenCreate();
    expect(free.status).toBe(0);
    expect(free.stdout).toMatch(/^aw_\S+\n$/);
  }, 120_000);
});
