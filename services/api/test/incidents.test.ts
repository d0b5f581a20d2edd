import { IncidentGrouper, incidentId } from '@agentwatch/detections';
import type { Alert, Incident } from '@agentwatch/schemas';
import type { Store } from '@agentwatch/store';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, createTokenStore, type Role } from '../src/index.ts';
import { alert, closeAll, openStore, recordingIngest } from './helpers.ts';

const OTHER = 'spiffe://corp.example/agents/research';
const THIRD = 'spiffe://corp.example/agents/planner';
const tok: Record<Role, string> = { viewer: '', analyst: '', engineer: '', admin: '' };
const auth = (role: Role) => ({ authorization: `Bearer ${tok[role]}` });
let store: Store;
let app: FastifyInstance;

// Three incidents: AGENT's burst (two alerts, high + critical), OTHER's single medium alert, and THIRD's alert that
// first formed its own incident and was then merged into OTHER's by an alert linking both.
const alerts: Alert[] = [
  alert('a1', { first_seen: '2026-11-02T09:00:00.000Z', last_seen: '2026-11-02T09:05:00.000Z' }),
  alert('a2', {
    severity: 'critical',
    category: 'credential',
    rule_id: 'credential.token_used_after_revocation',
    first_seen: '2026-11-02T09:10:00.000Z',
    last_seen: '2026-11-02T09:10:00.000Z',
  }),
  alert('b1', { agent_id: OTHER, severity: 'medium', first_seen: '2026-11-03T09:00:00.000Z', last_seen: '2026-11-03T09:00:00.000Z' }),
  alert('c1', { agent_id: THIRD, severity: 'low', first_seen: '2026-11-03T10:00:00.000Z', last_seen: '2026-11-03T10:00:00.000Z' }),
  alert('c2', {
    agent_id: THIRD,
    severity: 'low',
    first_seen: '2026-11-03T10:30:00.000Z',
    last_seen: '2026-11-03T10:30:00.000Z',
    evidence: { event_ids: ['c2-e1'], linked_agent_ids: [OTHER] },
  }),
  alert('z1', { agent_id: 'spiffe://corp.example/agents/unrelated', first_seen: '2026-11-04T09:00:00.000Z', last_seen: '2026-11-04T09:00:00.000Z' }),
];
const AGENT_INC = incidentId('a1');
const OTHER_INC = incidentId('b1');
const MERGED_INC = incidentId('c1');

beforeAll(async () => {
  store = await openStore();
  const tokens = createTokenStore(store);
  for (const r of Object.keys(tok) as Role[]) tok[r] = (await tokens.createToken(r)).token;
  await store.insertAlerts(alerts);
  const grouper = new IncidentGrouper({ windowMs: 6 * 3_600_000 });
  // One upsert per alert, as the live pipeline does: c1's incident is stored, then merged into b1's.
  for (const a of alerts) await store.incidents.upsert(grouper.add(a));
  app = buildServer({ store, ingest: recordingIngest().ingest, tokens, bootstrapToken: 'bootstrap-for-incident-tests', ready: async () => true });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await closeAll();
});

const get = (url: string, role: Role | null = 'viewer') => app.inject({ method: 'GET', url, headers: role ? auth(role) : {} });
const post = (url: string, body: unknown, role: Role | null = 'analyst') =>
  app.inject({ method: 'POST', url, headers: { ...(role ? auth(role) : {}), 'content-type': 'application/json' }, payload: JSON.stringify(body) });
const ids = (body: { incidents: Incident[] }) => body.incidents.map((i) => i.incident_id);

describe('incident routes: auth', () => {
  it('401 without a token on every route', async () => {
    for (const r of [
      await get('/v1/incidents', null),
      await get(`/v1/incidents/${AGENT_INC}`, null),
      await post(`/v1/incidents/${AGENT_INC}/status`, { status: 'resolved' }, null),
    ])
      expect(r.statusCode).toBe(401);
  });
  it('403 for a viewer changing a status; viewers may read', async () => {
    expect((await post(`/v1/incidents/${AGENT_INC}/status`, { status: 'resolved' }, 'viewer')).statusCode).toBe(403);
    expect((await get('/v1/incidents')).statusCode).toBe(200);
  });
});

describe('GET /v1/incidents', () => {
  it('lists incidents newest activity first, merged ones left out', async () => {
    const r = await get('/v1/incidents');
    expect(r.statusCode).toBe(200);
    const body = r.json() as { incidents: Incident[]; next_cursor: string | null };
    expect(ids(body)).toEqual([incidentId('z1'), OTHER_INC, AGENT_INC]);
    expect(ids(body)).not.toContain(MERGED_INC);
    const burst = body.incidents.find((i) => i.incident_id === AGENT_INC) as Incident;
    expect(burst).toMatchObject({ alert_ids: ['a1', 'a2'], severity: 'critical', categories: ['credential', 'scope_drift'], status: 'new', alert_count: 2 });
    expect(burst.risk_explanation).toBe('2 categories, 1 critical, 2 alerts within 10 minutes: 75 for critical + 8 for 2 categories + 8 for 2 alerts = 91');
    expect(burst.title).toBe('invoice-bot: token used after revocation, tool outside registry');
    const linked = body.incidents.find((i) => i.incident_id === OTHER_INC) as Incident;
    expect(linked.agent_ids).toEqual([THIRD, OTHER]);
  });

  it('filters by agent, severity, time and status; sorts by risk; pages with a cursor', async () => {
    expect(ids((await get(`/v1/incidents?agent_id=${encodeURIComponent(THIRD)}`)).json())).toEqual([OTHER_INC]);
    expect(ids((await get('/v1/incidents?severity=critical')).json())).toEqual([AGENT_INC]);
    expect(ids((await get('/v1/incidents?since=2026-11-03T00:00:00Z&until=2026-11-04T00:00:00Z')).json())).toEqual([OTHER_INC]);
    expect(ids((await get('/v1/incidents?sort=-risk_score')).json())[0]).toBe(AGENT_INC);
    const first = (await get('/v1/incidents?limit=2')).json() as { incidents: Incident[]; next_cursor: string };
    expect(ids(first)).toHaveLength(2);
    const second = (await get(`/v1/incidents?limit=2&cursor=${first.next_cursor}`)).json() as { incidents: Incident[]; next_cursor: string | null };
    expect([...ids(first), ...ids(second)]).toEqual([incidentId('z1'), OTHER_INC, AGENT_INC]);
    expect(second.next_cursor).toBeNull();
  });

  it.each([
    ['status=open', 'status'],
    ['since=yesterday', 'since'],
    ['until=2026-11-02', 'until'],
    ['severity=extreme', 'severity'],
    ['limit=0', 'limit'],
    ['limit=1001', 'limit'],
    ['sort=risk_score', 'sort'],
    ['agent_id=', 'agent_id'],
    ['cursor=not-a-cursor', 'cursor'],
    ['bogus=1', 'bogus'],
  ])('400 naming the parameter: %s', async (query, name) => {
    const r = await get(`/v1/incidents?${query}`);
    expect(r.statusCode).toBe(400);
    expect(r.json().error.message).toContain(name);
    expect(JSON.stringify(r.json().error.details)).toContain(name);
  });

  it('a cursor of the other sort is refused', async () => {
    const first = (await get('/v1/incidents?limit=1')).json() as { next_cursor: string };
    expect((await get(`/v1/incidents?sort=-risk_score&cursor=${first.next_cursor}`)).statusCode).toBe(400);
  });
});

describe('GET /v1/incidents/{id}', () => {
  it('answers the incident, its alerts in timeline order and its history', async () => {
    const r = await get(`/v1/incidents/${AGENT_INC}`);
    expect(r.statusCode).toBe(200);
    const body = r.json() as { incident: Incident; alerts: Alert[]; history: unknown[] };
    expect(body.incident.incident_id).toBe(AGENT_INC);
    expect(body.alerts.map((a) => a.alert_id)).toEqual(['a1', 'a2']);
    expect(body.history).toEqual([]);
  });
  it('an id merged into another answers the incident it was merged into', async () => {
    const body = (await get(`/v1/incidents/${MERGED_INC}`)).json() as { incident: Incident; alerts: Alert[] };
    expect(body.incident.incident_id).toBe(OTHER_INC);
    expect(body.alerts.map((a) => a.alert_id)).toEqual(['b1', 'c1', 'c2']);
  });
  it('404 for an unknown id', async () => {
    const r = await get('/v1/incidents/inc-nope');
    expect(r.statusCode).toBe(404);
    expect(r.json().error.details).toEqual([{ parameter: 'incident_id' }]);
  });
});

describe('POST /v1/incidents/{id}/status', () => {
  it('changes the incident (not its alerts), records who and when, and the list filters on it', async () => {
    const r = await post(`/v1/incidents/${AGENT_INC}/status`, { status: 'acknowledged', comment: 'looking', assignee: 'bob@corp.example' });
    expect(r.statusCode).toBe(200);
    const body = r.json() as { incident: Incident; history: Array<Record<string, unknown>> };
    expect(body.incident).toMatchObject({ status: 'acknowledged', assignee: 'bob@corp.example' });
    expect(body.history).toEqual([
      expect.objectContaining({
        incident_id: AGENT_INC,
        from_status: 'new',
        status: 'acknowledged',
        comment: 'looking',
        actor: expect.any(String),
        assignee: 'bob@corp.example',
      }),
    ]);
    expect((await store.getAlert('a1'))?.status).toBe('new');
    expect(ids((await get('/v1/incidents?status=acknowledged')).json())).toEqual([AGENT_INC]);
    expect(ids((await get('/v1/incidents?status=new,resolved')).json())).not.toContain(AGENT_INC);
  });

  it('keeps the triage status when the grouper upserts the incident again', async () => {
    const grouper = new IncidentGrouper({ windowMs: 6 * 3_600_000 });
    grouper.add(alerts[0] as Alert);
    const grown = { ...(alerts[1] as Alert), last_seen: '2026-11-02T09:20:00.000Z' };
    await store.incidents.upsert(grouper.add(grown));
    const inc = (await get(`/v1/incidents/${AGENT_INC}`)).json().incident as Incident;
    expect(inc).toMatchObject({ status: 'acknowledged', last_seen: '2026-11-02T09:20:00.000Z' });
  });

  it.each([
    [{}, 'status'],
    [{ status: 'suppressed' }, 'status'],
    [{ status: 'resolved', comment: 5 }, 'comment'],
    [{ status: 'resolved', comment: 'x'.repeat(10_001) }, 'comment'],
    [{ status: 'resolved', assignee: '' }, 'assignee'],
    [{ status: 'resolved', colour: 'red' }, 'colour'],
  ])('400 naming the field: %j', async (body, name) => {
    const r = await post(`/v1/incidents/${AGENT_INC}/status`, body);
    expect(r.statusCode).toBe(400);
    expect(r.json().error.message).toContain(name);
  });

  it('400 for a body that is not an object', async () => {
    const r = await post(`/v1/incidents/${AGENT_INC}/status`, ['resolved']);
    expect(r.statusCode).toBe(400);
    expect(r.json().error.message).toContain('JSON object');
  });

  it('404 for an unknown id', async () => {
    expect((await post('/v1/incidents/inc-nope/status', { status: 'resolved' })).statusCode).toBe(404);
  });
});

describe('GET /v1/alerts?incident_id=', () => {
  it("answers that incident's alerts only (following a merge)", async () => {
    const r = await get(`/v1/alerts?incident_id=${AGENT_INC}`);
    expect(r.statusCode).toBe(200);
    expect((r.json().alerts as Alert[]).map((a) => a.alert_id).sort()).toEqual(['a1', 'a2']);
    const merged = (await get(`/v1/alerts?incident_id=${MERGED_INC}`)).json().alerts as Alert[];
    expect(merged.map((a) => a.alert_id).sort()).toEqual(['b1', 'c1', 'c2']);
  });
  it('an unknown incident has no alerts; an empty one is a 400 naming it', async () => {
    expect((await get('/v1/alerts?incident_id=inc-nope')).json().alerts).toEqual([]);
    const r = await get('/v1/alerts?incident_id=');
    expect(r.statusCode).toBe(400);
    expect(r.json().error.message).toContain('incident_id');
  });
});
