// `agentwatch up` without Kafka (events over HTTP, processed in-process) across a graceful stop and a SIGKILL: events
// are stored before their request is answered, so after a crash the engine is restored from its last checkpoint and
// the events stored after it are read back from the store. The alerts at the end are replay's, ids and counts.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Alert } from '@agentwatch/schemas';
import { simulateFleet } from '@agentwatch/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replay } from '../services/cli/src/commands/replay.ts';
import { recentStart } from './support/recent-start.ts';
import { implausibleEventIds, sameClockAlerts } from './support/same-clock.ts';
import { killAll, postEvents, readNdjson, spawnLocalUp, type UpProcess } from './support/up-process.ts';

const TOKEN = 'aw_test_bootstrap_token_http_restart_0123';
const auth = { Authorization: `Bearer ${TOKEN}` };

describe('agentwatch up (HTTP, in-process): graceful stop, SIGKILL, restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aw-up-restart-'));
  const procs: UpProcess[] = [];
  let lines: string[] = [];

  const start = async (): Promise<{ up: UpProcess; base: string }> => {
    const up = spawnLocalUp(dir, TOKEN, {
      // No timer checkpoints: the only checkpoint is the one taken at the graceful stop.
      AGENTWATCH_CHECKPOINT_INTERVAL: '1h',
    });
    procs.push(up);
    return { up, base: await up.base };
  };
  const post = (base: string, part: string[]): Promise<void> => postEvents(base, auth, part);
  /** What the restarted process said it read back from the store (its pino log). */
  const replayedAtStart = (up: UpProcess): number | null => {
    for (const line of up.stderr().split('\n')) {
      if (!line.includes('events stored after it')) continue;
      return (JSON.parse(line) as { replayed: number }).replayed;
    }
    return null;
  };

  beforeAll(async () => {
    await simulateFleet({ agents: 12, days: 10, seed: 23, outDir: dir, start: recentStart(10) });
    lines = readFileSync(join(dir, 'events.ndjson'), 'utf8').split('\n').filter(Boolean);
  }, 120_000);

  afterAll(async () => {
    await killAll(procs);
    rmSync(dir, { recursive: true, force: true });
  });

  it('restores the checkpoint, reads back what was stored after it, and ends with the alerts of replay', async () => {
    const third = Math.floor(lines.length / 3);
    const [a, b, c] = [lines.slice(0, third), lines.slice(third, 2 * third), lines.slice(2 * third)];

    // 1. First third, then a graceful stop (checkpoint).
    const first = await start();
    await post(first.base, a);
    first.up.proc.kill('SIGTERM');
    expect(await first.up.exited).toEqual({ code: 0, signal: null });

    // 2. Restart from the checkpoint (nothing stored after it); second third; SIGKILL: its engine state is lost.
    const second = await start();
    expect(replayedAtStart(second.up)).toBe(0);
    await post(second.base, b);
    second.up.proc.kill('SIGKILL');
    expect((await second.up.exited).signal).toBe('SIGKILL');

    // 3. Restart: the checkpoint of step 1, then the second third read back from the store; last third.
    const third3 = await start();
    expect(replayedAtStart(third3.up)).toBe(b.length);
    await post(third3.base, c);
    const res = await fetch(`${third3.base}/v1/alerts?format=ndjson`, { headers: auth });
    expect(res.status).toBe(200);
    const got = (await res.text())
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Alert);
    const agents = (await (await fetch(`${third3.base}/v1/agents`, { headers: auth })).json()) as { agents: Array<{ activity: { events: number } | null }> };
    third3.up.proc.kill('SIGTERM');
    expect(await third3.up.exited).toEqual({ code: 0, signal: null });

    const out = join(dir, 'replay.ndjson');
    await replay({ registry: join(dir, 'registry.yaml'), files: [join(dir, 'events.ndjson')], inputFormat: 'canonical', out, log: () => {} });
    const expected = readNdjson<Alert>(out);
    expect(expected.length).toBeGreaterThan(5);
    const key = (x: Alert) => `${x.alert_id} ${x.rule_id} ${x.count}`;
    expect(sameClockAlerts(got).map(key).sort()).toEqual(sameClockAlerts(expected).map(key).sort());
    expect(implausibleEventIds(got)).toEqual(implausibleEventIds(expected));
    expect(agents.agents.reduce((n, x) => n + (x.activity?.events ?? 0), 0)).toBe(lines.length);
  }, 300_000);
});
