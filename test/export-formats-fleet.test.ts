import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { alertToCef, alertToOcsf, type Delivery, incidentToOcsf } from '@agentwatch/exporters';
import { Alert, CATEGORIES, type CanonicalEvent, Incident } from '@agentwatch/schemas';
import { simulateFleet } from '@agentwatch/simulator';
import { beforeAll, describe, expect, it } from 'vitest';
import { replay } from '../services/cli/src/commands/replay.ts';
import { parseCef } from '../services/exporters/test/cef-parser.ts';
import { ocsfValidator } from '../services/exporters/test/ocsf-validator.ts';
import { tempDir } from './support/temp-dir.ts';

const ORIGIN = { productVersion: '0.1.0', hostname: 'fleet-test' };
const readNdjson = (file: string): unknown[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as unknown);

/** The life the outbox will give an alert: created, updated (acknowledged), closed (resolved). */
const LIFE: [Alert['status'] | undefined, Delivery][] = [
  [undefined, { exporter: 'lake', version: 1, activity: 'created', time: '2026-10-21T00:00:00.000Z' }],
  ['acknowledged', { exporter: 'lake', version: 2, activity: 'updated', time: '2026-10-21T01:00:00.000Z' }],
  ['resolved', { exporter: 'lake', version: 3, activity: 'closed', time: '2026-10-21T02:00:00.000Z' }],
];

let alerts: Alert[];
/** The stored events the alerts cite, as the outbox will read them from the store. */
let cited: Map<string, CanonicalEvent>;
let incidents: Incident[];
let check: (finding: unknown) => string[];

beforeAll(async () => {
  check = ocsfValidator();
  const dir = tempDir('aw-export-fleet-');
  await simulateFleet({ agents: 40, days: 16, seed: 7, outDir: dir });
  await replay({
    registry: join(dir, 'registry.yaml'),
    files: [join(dir, 'events.ndjson')],
    inputFormat: 'canonical',
    out: join(dir, 'alerts.ndjson'),
    incidents: join(dir, 'incidents.ndjson'),
    log: () => {},
  });
  alerts = readNdjson(join(dir, 'alerts.ndjson')).map((a) => Alert.parse(a));
  incidents = readNdjson(join(dir, 'incidents.ndjson')).map((i) => Incident.parse(i));
  const wanted = new Set(alerts.flatMap((a) => a.evidence.event_ids));
  cited = new Map();
  for (const e of readNdjson(join(dir, 'events.ndjson')) as CanonicalEvent[]) if (wanted.has(e.event_id)) cited.set(e.event_id, e);
}, 600_000);

describe('export formats on a simulated fleet (40 agents x 16 days, seed 7)', () => {
  it('every alert, in every step of its life, is a valid OCSF 1.8.0 Detection Finding', () => {
    expect(new Set(alerts.map((a) => a.category))).toEqual(new Set(CATEGORIES));
    const invalid: string[] = [];
    for (const alert of alerts)
      for (const [status, d] of LIFE) {
        const events = alert.evidence.event_ids.flatMap((id) => cited.get(id) ?? []);
        const errors = check(alertToOcsf(status ? { ...alert, status } : alert, d, ORIGIN, events));
        if (errors.length > 0) invalid.push(`${alert.rule_id} ${alert.alert_id} v${d.version}: ${errors.join('; ')}`);
      }
    expect(invalid).toEqual([]);
    expect(cited.size).toBeGreaterThan(0);
  });

  it('every incident is a valid finding that references its alerts', () => {
    expect(incidents.length).toBeGreaterThan(0);
    const ids = new Set(alerts.map((a) => a.alert_id));
    for (const inc of incidents) {
      const f = incidentToOcsf(inc, LIFE[0]![1], ORIGIN);
      expect(check(f), inc.incident_id).toEqual([]);
      for (const r of (f['finding_info'] as { related_events: { uid: string }[] }).related_events) expect(ids.has(r.uid)).toBe(true);
    }
  });

  it('every alert reads back from CEF with its agent, rule and alert id + version', () => {
    for (const alert of alerts) {
      const { header, ext } = parseCef(alertToCef(alert, LIFE[1]![1], ORIGIN));
      expect(header[4]).toBe(alert.rule_id);
      expect(ext.get('suser')).toBe(alert.agent_id);
      expect(ext.get('cs5')).toBe(`${alert.alert_id}:2`);
    }
  });
});
