import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Alert, Incident } from '@agentwatch/schemas';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../test/support/prng.ts';
import { INCIDENT_FIXTURES } from '../src/incidents/fixtures/index.ts';
import { checkIncidentFixture, fixtureAlert, groupAll, type IncidentFixture } from '../src/incidents/fixtures.ts';
import { IncidentGrouper, linkKeys } from '../src/incidents/grouper.ts';
import { incidentId } from '../src/incidents/incident-id.ts';
import { incidentRisk } from '../src/incidents/risk.ts';

const FIXTURE_DIR = join(import.meta.dirname, '../src/incidents/fixtures');
const files = readdirSync(FIXTURE_DIR).filter((f) => f.endsWith('.fixtures.ts'));

describe('incident fixtures (detections/src/incidents/fixtures/*.fixtures.ts)', () => {
  it('there are fixture files, and agentwatch rules test runs every one (fixtures/index.ts)', () => {
    expect(files.length).toBeGreaterThan(0);
    expect(Object.keys(INCIDENT_FIXTURES).sort()).toEqual([...files].sort());
  });
  for (const file of files) {
    describe(file, async () => {
      const mod = (await import(join(FIXTURE_DIR, file))) as { fixtures: IncidentFixture[] };
      for (const f of mod.fixtures) it(f.name, () => expect(checkIncidentFixture(f)).toEqual([]));
    });
  }
});

describe('IncidentGrouper', () => {
  const W = 6 * 3_600_000;
  it('reports the incident absorbed when an alert links two, and the survivor keeps the earlier first alert', () => {
    const g = new IncidentGrouper({ windowMs: W });
    const a = fixtureAlert({ id: 'x1', agent: 'planner', at: '+1h' });
    const b = fixtureAlert({ id: 'x2', agent: 'research', at: '+2h' });
    const c = fixtureAlert({ id: 'x3', agent: 'research', at: '+3h', linked: ['planner'] });
    expect(g.add(a).upserts[0]?.incident_id).toBe(incidentId('x1'));
    expect(g.add(b).upserts[0]?.incident_id).toBe(incidentId('x2'));
    const ch = g.add(c);
    expect(ch.upserts.map((i) => i.incident_id)).toEqual([incidentId('x1')]);
    expect(ch.merged).toEqual([{ incident_id: incidentId('x2'), merged_into: incidentId('x1') }]);
    expect(g.incidentsNow()).toHaveLength(1);
  });

  it('an earlier alert arriving later renames the incident after it (the old id is reported merged)', () => {
    const g = new IncidentGrouper({ windowMs: W });
    g.add(fixtureAlert({ id: 'late', agent: 'planner', at: '+2h' }));
    const ch = g.add(fixtureAlert({ id: 'early', agent: 'planner', at: '+1h' }));
    expect(ch.upserts[0]?.incident_id).toBe(incidentId('early'));
    expect(ch.merged).toEqual([{ incident_id: incidentId('late'), merged_into: incidentId('early') }]);
  });

  it('an alert whose first_seen moves earlier (a late fold) and whose span then ends sooner splits what it had joined', () => {
    // Live: L opens at +10h and links X (+15h30m, 5h30m later); its final version starts at +3h, so its span ends at
    // +9h (one window after its start) and X is 6h30m away. Replay sees only the final version: two incidents.
    const opened = fixtureAlert({ id: 'L', agent: 'planner', at: '+10h' });
    const final = fixtureAlert({ id: 'L', agent: 'planner', at: '+3h', until: '+10h' });
    const x = fixtureAlert({ id: 'X', agent: 'planner', at: '+15h30m' });
    const live = new IncidentGrouper({ windowMs: W });
    live.add(opened);
    expect(live.add(x).upserts.map((i) => i.alert_ids)).toEqual([['L', 'X']]);
    const split = live.add(final);
    expect(split.upserts.map((i) => i.alert_ids)).toEqual([['L'], ['X']]);
    expect(split.merged).toEqual([]);
    expect(live.incidentsNow()).toEqual(groupAll([final, x], W));
  });

  it('lets go of incidents that can no longer grow, and only those', () => {
    const g = new IncidentGrouper({ windowMs: W, retainMs: 86_400_000 });
    g.add(fixtureAlert({ id: 'old', agent: 'planner', at: '+0h' }));
    g.add(fixtureAlert({ id: 'new', agent: 'research', at: '+2d' }));
    expect(g.size()).toEqual({ incidents: 1, alerts: 1 });
  });

  it('many random orders of the same alerts give the same incidents', () => {
    const alerts = Array.from({ length: 40 }, (_, i) =>
      fixtureAlert({
        id: `r${i}`,
        agent: ['a', 'b', 'c', 'd'][i % 4] as string,
        at: i * 47 * 60_000,
        tokens: i % 5 === 0 ? ['shared'] : [],
        linked: i % 7 === 0 ? ['c'] : [],
      }),
    );
    const ref = JSON.stringify(groupAll(alerts, W / 4));
    let seed = 7;
    for (let round = 0; round < 20; round++) {
      const shuffled = [...alerts];
      for (let i = shuffled.length - 1; i > 0; i--) {
        seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
        const j = seed % (i + 1);
        [shuffled[i], shuffled[j]] = [shuffled[j] as (typeof alerts)[number], shuffled[i] as (typeof alerts)[number]];
      }
      expect(JSON.stringify(groupAll(shuffled, W / 4))).toBe(ref);
    }
  });
});

/**
 * The definition, spelled out the slow way: every pair of alerts checked (shared link key, spans at most a window apart,
 * a span cut one window after its start), connected groups by flood fill. The grouper's bucketed index must agree.
 */
function naiveGroups(alerts: readonly Alert[], windowMs: number): string[][] {
  const span = (a: Alert) => {
    const f = Date.parse(a.first_seen);
    return { f, end: Math.min(Date.parse(a.last_seen), f + windowMs) };
  };
  const linked = (a: Alert, b: Alert) => {
    const x = span(a);
    const y = span(b);
    const ka = new Set(linkKeys(a));
    return linkKeys(b).some((k) => ka.has(k)) && Math.max(0, y.f - x.end, x.f - y.end) <= windowMs;
  };
  const seen = new Set<number>();
  const out: string[][] = [];
  for (let i = 0; i < alerts.length; i++) {
    if (seen.has(i)) continue;
    seen.add(i);
    const group = [i];
    for (let k = 0; k < group.length; k++) {
      for (let j = 0; j < alerts.length; j++) {
        if (!seen.has(j) && linked(alerts[group[k] as number] as Alert, alerts[j] as Alert)) {
          seen.add(j);
          group.push(j);
        }
      }
    }
    out.push(group.map((g) => (alerts[g] as Alert).alert_id).sort());
  }
  return out.sort((a, b) => ((a[0] as string) < (b[0] as string) ? -1 : 1));
}

const membersOf = (incidents: readonly Incident[]): string[][] =>
  incidents.map((i) => [...i.alert_ids].sort()).sort((a, b) => ((a[0] as string) < (b[0] as string) ? -1 : 1));

describe('IncidentGrouper against the definition', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`random alerts (seed ${seed}): the same groups as every pair checked, fed one by one or in batches`, () => {
      const rnd = mulberry32(seed);
      const W = [0, 60_000, 3_600_000, 6 * 3_600_000][seed % 4] as number;
      const alerts = Array.from({ length: 150 }, (_, i) => {
        const at = Math.floor(rnd() * 10 * 86_400_000);
        const long = rnd() < 0.2;
        return fixtureAlert({
          id: `n${i}`,
          agent: `a${Math.floor(rnd() * 6)}`,
          at,
          until: at + (long ? Math.floor(rnd() * 3 * 86_400_000) : Math.floor(rnd() * 2 * W)),
          tokens: rnd() < 0.3 ? [`t${Math.floor(rnd() * 4)}`] : [],
          linked: rnd() < 0.2 ? [`a${Math.floor(rnd() * 6)}`] : [],
        });
      });
      const want = naiveGroups(alerts, W);
      expect(membersOf(groupAll(alerts, W))).toEqual(want);
      const batched = new IncidentGrouper({ windowMs: W });
      for (let i = 0; i < alerts.length; i += 17) batched.addAll(alerts.slice(i, i + 17));
      expect(membersOf(batched.incidentsNow())).toEqual(want);
    });
  }

  it('addAll reports each incident once, in its final state, and what merged into what', () => {
    const W = 6 * 3_600_000;
    const g = new IncidentGrouper({ windowMs: W });
    const ch = g.addAll([
      fixtureAlert({ id: 'p1', agent: 'planner', at: '+1h' }),
      fixtureAlert({ id: 'r1', agent: 'research', at: '+2h' }),
      fixtureAlert({ id: 'r2', agent: 'research', at: '+3h', linked: ['planner'] }),
    ]);
    expect(ch.upserts.map((i) => [i.incident_id, i.alert_ids])).toEqual([[incidentId('p1'), ['p1', 'r1', 'r2']]]);
    expect(ch.merged).toEqual([{ incident_id: incidentId('r1'), merged_into: incidentId('p1') }]);
  });

  it('hands every incident it lets go to onFinal, in its final state (replay writes them all)', () => {
    const finals: Incident[] = [];
    const g = new IncidentGrouper({ windowMs: 3_600_000, retainMs: 86_400_000, onFinal: (i) => finals.push(i) });
    g.add(fixtureAlert({ id: 'old1', agent: 'planner', at: '+0h' }));
    g.add(fixtureAlert({ id: 'old2', agent: 'planner', at: '+30m' }));
    g.add(fixtureAlert({ id: 'new', agent: 'research', at: '+3d' }));
    expect(finals.map((i) => i.alert_ids)).toEqual([['old1', 'old2']]);
    expect(g.incidentsNow().map((i) => i.alert_ids)).toEqual([['new']]);
  });

  it('a noisy agent: 20,000 alerts on one key chain into one incident (fed in batches of 500)', () => {
    const W = 3_600_000;
    const g = new IncidentGrouper({ windowMs: W });
    const alerts = Array.from({ length: 20_000 }, (_, i) => fixtureAlert({ id: `z${String(i).padStart(5, '0')}`, agent: 'noisy', at: i * 7 * 60_000 }));
    for (let i = 0; i < alerts.length; i += 500) g.addAll(alerts.slice(i, i + 500));
    // Alerts 7 minutes apart with a 1 h window: one chain, one incident (held until it stops growing).
    expect(g.size().incidents).toBe(1);
    expect(g.incidentsNow()[0]?.alert_count).toBe(20_000);
  });
});

describe('incidentRisk', () => {
  it('grows with the number of alerts, their severity and the diversity of categories', () => {
    const base = { categoryCount: 1, firstSeenMs: 0, lastSeenMs: 0 };
    const one = incidentRisk({ ...base, severities: ['medium'] }).score;
    expect(incidentRisk({ ...base, severities: ['medium', 'medium'] }).score).toBeGreaterThan(one);
    expect(incidentRisk({ ...base, severities: ['high'] }).score).toBeGreaterThan(one);
    expect(incidentRisk({ ...base, categoryCount: 2, severities: ['medium'] }).score).toBeGreaterThan(one);
    expect(incidentRisk({ ...base, severities: Array(1000).fill('critical') }).score).toBe(100);
    expect(incidentRisk({ ...base, severities: ['info'] }).score).toBe(5);
  });
});
