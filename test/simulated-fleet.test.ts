import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Alert, severityRank } from '@agentwatch/schemas';
import { simulateFleet } from '@agentwatch/simulator';
import { describe, expect, it } from 'vitest';
import { replay } from '../services/cli/src/commands/replay.ts';
import { tempDir } from './support/temp-dir.ts';

interface Label {
  attack_id: string;
  category: string;
  technique: string;
  agent_id: string;
  event_ids: string[];
  start: string;
  end: string;
}

const readNdjson = <T>(file: string): T[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);

/** An attack counts as found when an alert of its category cites one of its events, or covers its agent and time. */
function finds(alert: Alert, label: Label): boolean {
  if (alert.category !== label.category) return false;
  if (alert.evidence.event_ids.some((id) => label.event_ids.includes(id))) return true;
  return alert.agent_id === label.agent_id && alert.first_seen <= label.end && alert.last_seen >= label.start;
}

async function run(seed: number) {
  const dir = tempDir(`aw-fleet-${seed}-`);
  await simulateFleet({ agents: 40, days: 16, seed, outDir: dir });
  const out = join(dir, 'alerts.ndjson');
  const summary = await replay({ registry: join(dir, 'registry.yaml'), files: [join(dir, 'events.ndjson')], inputFormat: 'canonical', out, log: () => {} });
  const alerts = readNdjson<Alert>(out);
  const labels = readNdjson<Label>(join(dir, 'labels.ndjson'));
  return { dir, out, summary, alerts, labels };
}

describe.each([7, 1234])('simulated fleet, 40 agents x 16 days, seed %i', (seed) => {
  it('replay finds every injected attack and stays quiet on benign agents', async () => {
    const { summary, alerts, labels } = await run(seed);
    expect(summary.rejected).toBe(0);
    expect(labels.length).toBeGreaterThanOrEqual(20);

    const missed = labels.filter((l) => !alerts.some((a) => finds(a, l)));
    expect(missed.map((l) => `${l.category}/${l.technique} on ${l.agent_id}`)).toEqual([]);

    // Agents touched by an attack (as actor or named in its events) are not "benign".
    const attacked = new Set(labels.map((l) => l.agent_id));
    const benignLoud = alerts.filter(
      (a) => severityRank(a.severity) >= severityRank('medium') && !attacked.has(a.agent_id) && !labels.some((l) => finds(a, l)),
    );
    // "At most a handful": printed so a regression shows what fired.
    expect(benignLoud.map((a) => `${a.severity} ${a.rule_id}: ${a.title}`).slice(0, 20), `${benignLoud.length} medium+ alerts on benign agents`).toHaveLength(
      Math.min(benignLoud.length, 5),
    );
    expect(benignLoud.length).toBeLessThanOrEqual(5);
  });
});

describe('replay determinism on a simulated fleet', () => {
  it('gives byte-identical alerts twice', async () => {
    const a = await run(99);
    const out2 = join(a.dir, 'alerts-2.ndjson');
    await replay({ registry: join(a.dir, 'registry.yaml'), files: [join(a.dir, 'events.ndjson')], inputFormat: 'canonical', out: out2, log: () => {} });
    expect(readFileSync(out2, 'utf8')).toBe(readFileSync(a.out, 'utf8'));
    expect(a.alerts.length).toBeGreaterThan(0);
  });
});
