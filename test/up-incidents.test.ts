// Incidents (alerts.md 1.1) are the same live and in replay: `agentwatch up` (HTTP, in-process) groups the alerts it
// stores with the grouping `replay --incidents` uses, across a graceful restart inside an incident, and serves the
// incidents replay writes: same ids, same contents. (Alerts still open at the restart are re-emitted by the restored
// engine; the rebuild from stored alerts that closed before it is tested in services/collector/test/live-incidents.)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Alert, Incident } from '@agentwatch/schemas';
import { simulateFleet } from '@agentwatch/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replay } from '../services/cli/src/commands/replay.ts';
import { recentStart } from './support/recent-start.ts';
import { killAll, postEvents, readNdjson, spawnLocalUp, type UpProcess } from './support/up-process.ts';

const TOKEN = 'aw_test_bootstrap_token_incidents_0123456';
const auth = { Authorization: `Bearer ${TOKEN}` };

/** Every incident `up` serves, in replay's order (first_seen, then id). */
async function servedIncidents(base: string): Promise<Incident[]> {
  const out: Incident[] = [];
  let cursor: string | null = null;
  do {
    const res: Response = await fetch(`${base}/v1/incidents?limit=1000${cursor ? `&cursor=${cursor}` : ''}`, { headers: auth });
    if (res.status !== 200) throw new Error(`GET /v1/incidents: ${res.status} ${await res.text()}`);
    const page = (await res.json()) as { incidents: Incident[]; next_cursor: string | null };
    out.push(...page.incidents);
    cursor = page.next_cursor;
  } while (cursor);
  return out.sort((a, b) => (a.first_seen < b.first_seen ? -1 : a.first_seen > b.first_seen ? 1 : a.incident_id < b.incident_id ? -1 : 1));
}

/**
 * A time inside an incident with a gap: after the last event of one of its alerts and at the first event of the next
 * (by first_seen), so that alert is raised only from events after the split. Null when no incident has such a gap.
 */
function splitInside(incidents: readonly Incident[], alerts: Map<string, Alert>): string | null {
  for (const inc of incidents) {
    const list = inc.alert_ids.map((id) => alerts.get(id)).filter((a): a is Alert => a !== undefined);
    let lastSeen = '';
    for (const a of list) {
      if (lastSeen !== '' && a.first_seen > lastSeen) return a.first_seen;
      if (a.last_seen > lastSeen) lastSeen = a.last_seen;
    }
  }
  return null;
}

describe('incidents: live (with a restart) and replay agree', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aw-up-incidents-'));
  const procs: UpProcess[] = [];
  let lines: string[] = [];

  beforeAll(async () => {
    await simulateFleet({ agents: 12, days: 10, seed: 29, outDir: dir, start: recentStart(10) });
    lines = readFileSync(join(dir, 'events.ndjson'), 'utf8').split('\n').filter(Boolean);
  }, 120_000);

  afterAll(async () => {
    await killAll(procs);
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives the same incident ids and contents', async () => {
    const incidentsFile = join(dir, 'incidents.ndjson');
    const summary = await replay({
      registry: join(dir, 'registry.yaml'),
      files: [join(dir, 'events.ndjson')],
      inputFormat: 'canonical',
      out: join(dir, 'alerts.ndjson'),
      incidents: incidentsFile,
      log: () => {},
    });
    const replayed = readNdjson<Incident>(incidentsFile);
    expect(summary.incidents).toBe(replayed.length);
    // The simulated attacks make incidents of several alerts, and of several agents.
    expect(replayed.some((i) => i.alert_count > 1)).toBe(true);

    // The restart falls inside an incident: between two of its alerts, the second raised only after the restart must
    // join the incident formed before it (the grouping rebuilt from the store).
    const alerts = new Map(readNdjson<Alert>(join(dir, 'alerts.ndjson')).map((a) => [a.alert_id, a]));
    const split = splitInside(replayed, alerts);
    expect(split).not.toBeNull();
    const before = lines.filter((l) => (JSON.parse(l) as { time: string }).time < (split as string));
    const after = lines.filter((l) => (JSON.parse(l) as { time: string }).time >= (split as string));
    const first = spawnLocalUp(dir, TOKEN);
    procs.push(first);
    await postEvents(await first.base, auth, before);
    first.proc.kill('SIGTERM');
    expect(await first.exited).toEqual({ code: 0, signal: null });

    const second = spawnLocalUp(dir, TOKEN);
    procs.push(second);
    const base = await second.base;
    await postEvents(base, auth, after);
    const served = await servedIncidents(base);
    expect(served.map((i) => i.incident_id)).toEqual(replayed.map((i) => i.incident_id));
    expect(served).toEqual(replayed);
    second.proc.kill('SIGTERM');
    await second.exited;
  }, 600_000);
});
