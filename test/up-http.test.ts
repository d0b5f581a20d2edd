import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Alert } from '@agentwatch/schemas';
import { simulateFleet } from '@agentwatch/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replay } from '../services/cli/src/commands/replay.ts';
import { recentStart } from './support/recent-start.ts';
import { implausibleEventIds, sameClockAlerts } from './support/same-clock.ts';
import { tempDir } from './support/temp-dir.ts';
import { postEvents } from './support/up-process.ts';

const ROOT = join(import.meta.dirname, '..');
const TOKEN = 'aw_test_bootstrap_token_0123456789abcdef';
const dir = tempDir('aw-up-');
let proc: ChildProcess;
let base = '';
let stderr = '';

async function waitFor<T>(what: string, fn: () => Promise<T | null>, ms = 60_000): Promise<T> {
  const end = performance.now() + ms;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v !== null) return v;
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}\n${stderr.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const auth = { Authorization: `Bearer ${TOKEN}` };

beforeAll(async () => {
  await simulateFleet({ agents: 12, days: 10, seed: 21, outDir: dir, start: recentStart(10) });
  proc = spawn(
    process.execPath,
    [join(ROOT, 'bin/agentwatch.mjs'), 'up', '--registry', join(dir, 'registry.yaml'), '--data', join(dir, 'data'), '--listen', '127.0.0.1:0'],
    {
      cwd: ROOT,
      env: { ...process.env, AGENTWATCH_BOOTSTRAP_TOKEN: TOKEN, KAFKA_BROKERS: '', CLICKHOUSE_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  proc.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  proc.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  base = await waitFor('the listen line', async () => /listening on (http:\/\/\S+)/.exec(stdout)?.[1] ?? null);
}, 120_000);

afterAll(async () => {
  if (proc && proc.exitCode === null) {
    proc.kill('SIGKILL');
  }
});

describe('agentwatch up (HTTP, embedded ClickHouse)', () => {
  it('serves health without a token and refuses the API without one', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/v1/alerts`)).status).toBe(401);
    await waitFor('readiness', async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : null));
  });

  it('POST /v1/events reports bad lines and accepts the good ones (never a 500)', async () => {
    const good = readFileSync(join(dir, 'events.ndjson'), 'utf8').split('\n')[0] as string;
    const res = await fetch(`${base}/v1/events`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/x-ndjson' },
      body: `{"broken\n${good}\n{"kind":"tool_call"}\n`,
    });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { accepted: number; rejected: Array<{ line: number }> };
    expect(body.accepted).toBe(1);
    expect(body.rejected.map((r) => r.line)).toEqual([1, 3]);
    expect((await fetch(`${base}/v1/events`, { method: 'POST', headers: { ...auth, 'content-type': 'application/x-ndjson' }, body: 'nope' })).status).toBe(400);
  });

  it('the simulated fleet posted over HTTP yields the alert ids replay gives for the same events', async () => {
    const lines = readFileSync(join(dir, 'events.ndjson'), 'utf8').split('\n').filter(Boolean);
    await postEvents(base, auth, lines);
    const out = join(dir, 'replay.ndjson');
    await replay({ registry: join(dir, 'registry.yaml'), files: [join(dir, 'events.ndjson')], inputFormat: 'canonical', out, log: () => {} });
    const replayed = readFileSync(out, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Alert);
    const expected = sameClockAlerts(replayed)
      .map((a) => a.alert_id)
      .sort();
    const res = await fetch(`${base}/v1/alerts?format=ndjson`, { headers: auth });
    expect(res.status).toBe(200);
    const served = (await res.text())
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Alert);
    const got = sameClockAlerts(served)
      .map((a) => a.alert_id)
      .sort();
    expect(expected.length).toBeGreaterThan(5);
    expect(got).toEqual(expected);
    // The fleet's forged clock is reported live (judged by arrival) as in replay (judged by the stream around it).
    expect(implausibleEventIds(replayed).length).toBeGreaterThan(0);
    expect(implausibleEventIds(served)).toEqual(implausibleEventIds(replayed));
  });

  it('stops cleanly on SIGTERM', async () => {
    proc.kill('SIGTERM');
    const code = await waitFor('exit', async () => proc.exitCode, 30_000);
    expect(code).toBe(0);
  });
});
