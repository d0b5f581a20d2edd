import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Alert, CanonicalEvent } from '@agentwatch/schemas';
import { simulateFleet } from '@agentwatch/simulator';
import { beforeAll, describe, expect, it } from 'vitest';
import { replay } from '../services/cli/src/commands/replay.ts';
import { mulberry32 } from './support/prng.ts';
import { tempDir } from './support/temp-dir.ts';

/**
 * Event time is a claim (events.md 1.1), end to end through `agentwatch replay`: poisoned events dated far ahead and
 * far behind, from the agents of the fleet and from strangers, of every kind (including the revocation of a live
 * token), inserted at seeded random places of a two-file recording. Every other detection must be exactly what the
 * clean recording gives, and every poisoned event must be reported once as telemetry_integrity.
 */
const DAY = 86_400_000;
const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean);
const readAlerts = (file: string) => lines(file).map((l) => JSON.parse(l) as Alert);
const withoutTelemetry = (alerts: Alert[]) => alerts.filter((a) => a.category !== 'telemetry_integrity');

let dir = '';
let registry = '';
let files: string[] = [];
let clean: Alert[] = [];
/** The simulator's own forged clocks (technique forged_event_time): the calls it re-dated. */
let forgedCalls = new Set<string>();

async function replayFiles(inputs: string[], name: string) {
  const out = join(dir, `${name}.alerts.ndjson`);
  const summary = await replay({ registry, files: inputs, inputFormat: 'canonical', out, log: () => {} });
  return { summary, alerts: readAlerts(out) };
}

beforeAll(async () => {
  dir = tempDir('aw-hostile-times-');
  await simulateFleet({ agents: 24, days: 10, seed: 11, outDir: dir });
  registry = join(dir, 'registry.yaml');
  // Two files, split by agent, so the k-way merge between files is exercised too.
  const all = lines(join(dir, 'events.ndjson'));
  const a: string[] = [];
  const b: string[] = [];
  for (const l of all) ((JSON.parse(l) as CanonicalEvent).agent_id.length % 2 === 0 ? a : b).push(l);
  files = [join(dir, 'a.ndjson'), join(dir, 'b.ndjson')];
  writeFileSync(files[0] as string, `${a.join('\n')}\n`);
  writeFileSync(files[1] as string, `${b.join('\n')}\n`);
  clean = (await replayFiles(files, 'clean')).alerts;
  const kinds = new Map(all.map((l) => JSON.parse(l) as CanonicalEvent).map((e) => [e.event_id, e.kind]));
  forgedCalls = new Set(
    lines(join(dir, 'labels.ndjson'))
      .map((l) => JSON.parse(l) as { technique: string; event_ids: string[] })
      .filter((l) => l.technique === 'forged_event_time')
      .flatMap((l) => l.event_ids.filter((id) => kinds.get(id) === 'tool_call')),
  );
}, 120_000);

describe('replay: poisoned event times change no detection', () => {
  it('a clean recording (nights, weekends, 24 agents) has no implausible times but the forged clock the simulator injected', () => {
    expect(clean.length).toBeGreaterThan(10);
    expect(forgedCalls.size).toBeGreaterThan(0);
    const telemetry = clean.filter((a) => a.category === 'telemetry_integrity');
    expect(telemetry.flatMap((a) => a.evidence.event_ids).sort()).toEqual([...forgedCalls].sort());
    expect(telemetry.reduce((n, a) => n + a.count, 0)).toBe(forgedCalls.size);
  });

  it('30 poisoned events at random places: the other alerts are byte for byte the clean ones, each poison reported', async () => {
    const rnd = mulberry32(20261207);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
    let poisons = 0;
    const poisoned = files.map((file, f) => {
      const src = lines(file);
      const events = src.map((l) => JSON.parse(l) as CanonicalEvent);
      const tokens = events.filter((e) => e.kind === 'token_issued').map((e) => e.token_id as string);
      const agents = [...new Set(events.map((e) => e.agent_id)), 'spiffe://evil.example/agents/stranger'];
      const out = [...src];
      for (let k = 0; k < 15; k++) {
        const at = 1 + Math.floor(rnd() * (out.length - 2));
        const near = Date.parse((JSON.parse(out[at] as string) as CanonicalEvent).time);
        const time = pick([
          '9999-12-31T23:59:59.999Z',
          '2100-01-01T00:00:00.000Z',
          new Date(near + 400 * DAY).toISOString(),
          new Date(near + 2 * DAY).toISOString(),
          '1970-01-01T00:00:00.000Z',
          '0001-01-01T00:00:00.000Z',
          new Date(near - 60 * DAY).toISOString(),
        ]);
        const base = { event_id: `poison-${f}-${k}`, time, agent_id: pick(agents) };
        const event = pick([
          { kind: 'tool_call', ...base, tool: 'erp.invoice.read', outcome: 'success', token_id: pick(tokens) },
          { kind: 'token_revoked', ...base, token_id: pick(tokens) },
          { kind: 'token_issued', ...base, token_id: `poison-tok-${f}-${k}`, issuer: 'idp', scopes: ['*'], expires_at: time },
          { kind: 'policy_decision', ...base, decision: 'deny' },
        ]);
        out.splice(at, 0, JSON.stringify(event));
        poisons++;
      }
      const path = join(dir, `poisoned-${f}.ndjson`);
      writeFileSync(path, `${out.join('\n')}\n`);
      return path;
    });
    const { summary, alerts } = await replayFiles(poisoned, 'poisoned');
    expect(summary.rejected).toBe(0);
    expect(summary.implausible_times).toBe(poisons + forgedCalls.size);
    expect(withoutTelemetry(alerts)).toEqual(withoutTelemetry(clean));
    const telemetry = alerts.filter((a) => a.category === 'telemetry_integrity');
    expect(telemetry.reduce((n, a) => n + a.count, 0)).toBe(poisons + forgedCalls.size);
    for (const a of telemetry) expect(a.evidence.event_ids.every((id) => id.startsWith('poison-') || forgedCalls.has(id))).toBe(true);
  }, 120_000);
});
