import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { incidentId } from '@agentwatch/detections';
import type { Alert } from '@agentwatch/schemas';
import { createStore, type Store } from '@agentwatch/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveIncidents } from '../src/live-incidents.ts';

const DATA_DIR = mkdtempSync(join(tmpdir(), 'aw-incidents-test-'));
const WINDOW = 6 * 3_600_000;
let store: Store;

const alert = (id: string, agent: string, at: string, evidence: Record<string, unknown> = {}): Alert => ({
  alert_id: id,
  rule_id: 'scope.tool_outside_registry',
  rule_version: '1',
  category: 'scope_drift',
  severity: 'high',
  risk_score: 70,
  agent_id: `spiffe://corp.example/agents/${agent}`,
  owner: 'alice@corp.example',
  title: `tool outside registry (${id})`,
  summary: 'summary',
  first_seen: at,
  last_seen: at,
  count: 1,
  evidence: { event_ids: [`${id}-e`], ...evidence },
  tags: [],
  status: 'new',
});

beforeAll(async () => {
  store = createStore({ dataDir: DATA_DIR, database: `aw_incidents_${randomBytes(6).toString('hex')}` });
  await store.migrate();
});

afterAll(async () => {
  await store?.close();
  rmSync(DATA_DIR, { recursive: true, force: true });
});

describe('LiveIncidents', () => {
  it('after a restart, an alert joins the incident of alerts stored before it (grouping rebuilt from the store)', async () => {
    const early = [alert('p1', 'planner', '2026-11-02T09:00:00.000Z'), alert('r1', 'research', '2026-11-02T09:30:00.000Z')];
    await store.insertAlerts(early);
    const before = new LiveIncidents({ store, windowMs: WINDOW });
    await before.add(early);
    expect((await store.incidents.query()).incidents.map((i) => i.incident_id).sort()).toEqual([incidentId('p1'), incidentId('r1')].sort());

    // A new process: an alert tying research to planner (a delegation chain) arrives after the restart.
    const after = new LiveIncidents({ store, windowMs: WINDOW });
    expect(await after.rebuild()).toBe(2);
    const bridge = alert('r2', 'research', '2026-11-02T10:00:00.000Z', { linked_agent_ids: ['spiffe://corp.example/agents/planner'] });
    await store.insertAlerts([bridge]);
    await after.add([bridge]);
    const listed = (await store.incidents.query()).incidents;
    expect(listed.map((i) => i.incident_id)).toEqual([incidentId('p1')]);
    expect(listed[0]?.alert_ids).toEqual(['p1', 'r1', 'r2']);
    // The incident research had before is answered as the one it was merged into.
    expect((await store.incidents.get(incidentId('r1')))?.incident_id).toBe(incidentId('p1'));
  });

  it('a failed incident write does not fail the alerts; the changes are written with the next ones', async () => {
    const broken: Store = Object.create(store) as Store;
    let fail = true;
    Object.defineProperty(broken, 'incidents', {
      value: {
        ...store.incidents,
        upsert: async (c: Parameters<Store['incidents']['upsert']>[0]) => {
          if (fail) throw new Error('store down');
          return store.incidents.upsert(c);
        },
      },
    });
    const live = new LiveIncidents({ store: broken, windowMs: WINDOW });
    await live.add([alert('x1', 'ledger', '2026-11-05T09:00:00.000Z')]);
    expect(live.pendingCount()).toBe(1);
    fail = false;
    await live.add([alert('y1', 'billing', '2026-11-05T09:00:00.000Z')]);
    expect(live.pendingCount()).toBe(0);
    expect(await store.incidents.get(incidentId('x1'))).not.toBeNull();
    expect(await store.incidents.get(incidentId('y1'))).not.toBeNull();
  });
});
