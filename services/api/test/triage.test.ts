import type { Alert, CanonicalEvent, Registry } from '@agentwatch/schemas';
import type { Store } from '@agentwatch/store';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, createTokenStore, type Role } from '../src/index.ts';
import { AGENT, alert, closeAll, openStore, recordingIngest, toolCall } from './helpers.ts';

// API 1.1 triage (api.md "Added in 1.1", issue 14 shapes): queue filters and sorts, assignment, bulk, comments,
// alert detail and agent page, on a real embedded store.

const PLANNER = 'spiffe://corp.example/agents/planner';
const ROGUE = 'spiffe://corp.example/agents/rogue';
const H = 3_600_000;
const BASE = Date.UTC(2026, 10, 2, 0);
const iso = (ms: number) => new Date(ms).toISOString();

const registry: Pick<Registry, 'agents' | 'people'> = {
  people: [{ id: 'carol@corp.example', status: 'active' }],
  agents: [
    { id: AGENT, name: 'Invoice bot', owner: 'alice@corp.example', status: 'active', purpose: 'reads invoices', registered_at: '2026-01-10', scope: {} },
    { id: PLANNER, name: 'Planner', owner: 'bob@corp.example', status: 'active', purpose: 'plans', registered_at: '2026-01-10', scope: {} },
  ],
};

// 24 alerts: three agents and owners, scores and times that differ in each sort's order, some ties on risk_score.
const ALERTS: Alert[] = Array.from({ length: 24 }, (_, i) => {
  const first = BASE + ((i * 7) % 24) * H;
  return alert(`tr-${String(i).padStart(2, '0')}`, {
    agent_id: [AGENT, PLANNER, ROGUE][i % 3] as string,
    owner: ['alice@corp.example', 'bob@corp.example', null][i % 3] as string | null,
    risk_score: [40, 70, 90, 70][i % 4] as number,
    first_seen: iso(first),
    last_seen: iso(first + ((i * 5) % 11) * H),
    title: i % 4 === 0 ? `Token TTL exceeds maximum (${i})` : `Tool outside registry (${i})`,
    summary:
      i % 6 === 0
        ? 'The agent exported INVOICES to an external bucket.'
        : i % 6 === 1
          ? 'The agent called a tool its registry entry does not list (ÜBERWEISUNG.freigeben).'
          : 'The agent called a tool its registry entry does not list.',
    tags: i % 2 === 0 ? ['owasp-nhi:NHI5', 'mitre:T1078'] : ['owasp-nhi:NHI5'],
    evidence: { event_ids: [`tr-${i}-e1`] },
  });
});

let store: Store;
let app: FastifyInstance;
const tok: Record<Role, string> = { viewer: '', analyst: '', engineer: '', admin: '' };
const auth = (role: Role) => ({ authorization: `Bearer ${tok[role]}` });
const get = (url: string, role: Role = 'viewer', headers: Record<string, string> = {}) =>
  app.inject({ method: 'GET', url, headers: { ...auth(role), ...headers } });
const post = (url: string, payload: unknown, role: Role = 'analyst') => app.inject({ method: 'POST', url, headers: auth(role), payload: payload as object });
const ids = (as: Alert[]) => as.map((a) => a.alert_id);
const list = async (qs: string): Promise<string[]> => {
  const r = await get(`/v1/alerts?${qs}`);
  expect(r.statusCode, `${qs}: ${r.body}`).toBe(200);
  return ids((r.json() as { alerts: Alert[] }).alerts);
};
const expect400 = async (res: Promise<{ statusCode: number; json: () => unknown }>, field: string, label = field) => {
  const r = await res;
  expect(r.statusCode, label).toBe(400);
  const e = (r.json() as { error: { message: string; details: Array<Record<string, unknown>> } }).error;
  expect(e.details[0]?.['parameter'] ?? e.details[0]?.['path'] ?? e.message, label).toContain(field);
  return e;
};

beforeAll(async () => {
  store = await openStore();
  const tokens = createTokenStore(store);
  for (const r of Object.keys(tok) as Role[]) tok[r] = (await tokens.createToken(r)).token;
  app = buildServer({ store, ingest: recordingIngest().ingest, tokens, registry: () => registry, ready: async () => true });
  await app.ready();
  await store.insertAlerts(ALERTS);
});

afterAll(async () => {
  await app?.close();
  await closeAll();
});

describe('auth on the triage routes', () => {
  const routes: Array<[string, string, unknown]> = [
    ['GET', '/v1/alerts?q=token', undefined],
    ['GET', '/v1/alerts/tr-00', undefined],
    ['POST', '/v1/alerts/tr-00/status', { status: 'acknowledged' }],
    ['POST', '/v1/alerts/bulk', { alert_ids: ['tr-00'], status: 'acknowledged' }],
    ['POST', '/v1/alerts/tr-00/comments', { text: 'x' }],
    ['GET', `/v1/agents/${encodeURIComponent(AGENT)}`, undefined],
  ];
  it('401 without a token on every route', async () => {
    for (const [method, url, payload] of routes) {
      const r = await app.inject({ method: method as 'GET', url, ...(payload ? { payload: payload as object } : {}) });
      expect(r.statusCode, `${method} ${url}`).toBe(401);
    }
  });
  it('403 for a viewer on every write; reads are open to viewers', async () => {
    for (const [method, url, payload] of routes) {
      const r = await app.inject({ method: method as 'GET', url, headers: auth('viewer'), ...(payload ? { payload: payload as object } : {}) });
      expect(r.statusCode, `${method} ${url}`).toBe(method === 'POST' ? 403 : 200);
    }
    expect(await store.triage.comments('tr-00')).toEqual([]);
    expect((await store.getAlert('tr-00'))?.status).toBe('new');
  });
});

describe('GET /v1/alerts: 1.1 filters', () => {
  const expected = (pred: (a: Alert) => boolean) =>
    ALERTS.filter(pred)
      .sort((a, b) => Date.parse(b.last_seen) - Date.parse(a.last_seen) || (a.alert_id < b.alert_id ? 1 : -1))
      .map((a) => a.alert_id);

  it('owner, tag (all must be carried), q (every word, either text, any case), and together', async () => {
    expect(await list('owner=bob@corp.example')).toEqual(expected((a) => a.owner === 'bob@corp.example'));
    expect(await list('owner=bob@corp.example,alice@corp.example')).toEqual(expected((a) => a.owner !== null));
    expect(await list('tag=mitre:T1078&tag=owasp-nhi:NHI5')).toEqual(expected((a) => a.tags.includes('mitre:T1078')));
    expect(await list('tag=owasp-nhi:NHI5,nope')).toEqual([]);
    expect(await list('q=TOKEN%20ttl')).toEqual(expected((a) => a.title.startsWith('Token TTL')));
    // "token" in the title, "invoices" in the summary: each word may be in either text.
    expect(await list('q=token+Invoices')).toEqual(expected((a) => a.title.startsWith('Token TTL') && a.summary.includes('INVOICES')));
    expect(await list("q=it's%25")).toEqual([]);
    // A non-ASCII word is folded as UTF-8 (an ASCII one byte-wise): either way any case matches.
    expect(await list(`q=${encodeURIComponent('überweisung')}`)).toEqual(expected((a) => a.summary.includes('ÜBERWEISUNG')));
    expect(await list(`q=${encodeURIComponent('Überweisung')}+FREIGEBEN`)).toEqual(expected((a) => a.summary.includes('ÜBERWEISUNG')));
    expect(await list(`q=tool&owner=alice@corp.example&tag=mitre:T1078&status=new&agent_id=${encodeURIComponent(AGENT)}`)).toEqual(
      expected((a) => `${a.title} ${a.summary}`.toLowerCase().includes('tool') && a.owner === 'alice@corp.example' && a.tags.includes('mitre:T1078')),
    );
  });

  it('assignee (exact) and assignee=none (unassigned); status repeated', async () => {
    const r = await post('/v1/alerts/bulk', { alert_ids: ['tr-01', 'tr-02'], assignee: 'dana@corp.example', status: 'acknowledged' });
    expect(r.statusCode).toBe(200);
    expect(await list('assignee=dana@corp.example')).toEqual(expected((a) => ['tr-01', 'tr-02'].includes(a.alert_id)));
    expect(await list('assignee=none')).toEqual(expected((a) => !['tr-01', 'tr-02'].includes(a.alert_id)));
    expect(await list('status=acknowledged&status=resolved')).toEqual(expected((a) => ['tr-01', 'tr-02'].includes(a.alert_id)));
    expect(await list('status=new&assignee=dana@corp.example')).toEqual([]);
    // back to how they were, for the other tests
    await post('/v1/alerts/bulk', { alert_ids: ['tr-01', 'tr-02'], assignee: null, status: 'new' });
    expect(await list('assignee=none')).toHaveLength(ALERTS.length);
  });

  it('400 naming the parameter for each malformed filter', async () => {
    const cases: Array<[string, string]> = [
      ['sort=newest', 'sort'],
      ['sort=-last_seen&sort=risk_score', 'sort'],
      ['status=open', 'status'],
      ['status=new&status=', 'status'],
      ['q=', 'q'],
      ['q=%20%20', 'q'],
      [`q=${Array.from({ length: 9 }, (_, i) => `w${i}`).join('+')}`, 'q'],
      [`q=${'x'.repeat(65)}`, 'q'],
      ['q=a&q=b', 'q'],
      ['assignee=', 'assignee'],
      ['assignee=a&assignee=b', 'assignee'],
      ['tag=', 'tag'],
      ['owner=,', 'owner'],
      ['sortt=risk_score', 'sortt'],
    ];
    for (const [qs, param] of cases) {
      const e = await expect400(get(`/v1/alerts?${qs}`), param, qs);
      expect(e.details[0]?.['parameter'], qs).toBe(param);
    }
  });
});

describe('GET /v1/alerts: sorts and paging', () => {
  const SORTS = ['last_seen', '-last_seen', 'risk_score', '-risk_score', 'first_seen', '-first_seen'] as const;
  const keyOf = (a: Alert, k: string) => (k === 'risk_score' ? a.risk_score : Date.parse(k === 'last_seen' ? a.last_seen : a.first_seen));
  const order = (sort: string, as: Alert[] = ALERTS) => {
    const desc = sort.startsWith('-');
    const k = desc ? sort.slice(1) : sort;
    const sign = desc ? -1 : 1;
    return [...as].sort((a, b) => sign * (keyOf(a, k) - keyOf(b, k) || (a.alert_id < b.alert_id ? -1 : 1))).map((a) => a.alert_id);
  };

  it('each sort orders by its key, ties by alert_id in the same direction; default -last_seen', async () => {
    for (const sort of SORTS) expect(await list(`sort=${sort}&limit=1000`), sort).toEqual(order(sort));
    expect(await list('limit=1000')).toEqual(order('-last_seen'));
  });

  it('paging through every page returns each alert once, in order, for every sort (with a filter too)', async () => {
    for (const sort of SORTS) {
      for (const filter of ['', '&tag=mitre:T1078']) {
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const r = await get(`/v1/alerts?sort=${sort}&limit=5${filter}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
          expect(r.statusCode).toBe(200);
          const j = r.json() as { alerts: Alert[]; next_cursor: string | null };
          seen.push(...ids(j.alerts));
          cursor = j.next_cursor;
        } while (cursor);
        const want = order(sort, filter ? ALERTS.filter((a) => a.tags.includes('mitre:T1078')) : ALERTS);
        expect(seen, `${sort}${filter}`).toEqual(want);
      }
    }
  });

  it('a cursor made for one sort is a 400 with another', async () => {
    const first = (await get('/v1/alerts?sort=risk_score&limit=3')).json() as { next_cursor: string };
    const e = await expect400(get(`/v1/alerts?sort=-risk_score&cursor=${encodeURIComponent(first.next_cursor)}`), 'cursor');
    expect(e.message).toMatch(/sort=risk_score.*sort=-risk_score/);
    expect((await get(`/v1/alerts?sort=risk_score&cursor=${encodeURIComponent(first.next_cursor)}`)).statusCode).toBe(200);
  });

  it('NDJSON streams every match with the 1.1 filters and sort', async () => {
    const r = await get('/v1/alerts?format=ndjson&sort=risk_score&limit=2&tag=mitre:T1078&q=tool');
    expect(r.statusCode).toBe(200);
    const got = r.body
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as Alert).alert_id);
    expect(got).toEqual(
      order(
        'risk_score',
        ALERTS.filter((a) => a.tags.includes('mitre:T1078') && `${a.title} ${a.summary}`.toLowerCase().includes('tool')),
      ),
    );
  });
});

describe('POST /v1/alerts/{id}/status: assignment', () => {
  it('sets status and assignee; who from the token, when from the server clock; the alert carries assignee', async () => {
    const before = Date.now();
    const r = await post('/v1/alerts/tr-03/status', { status: 'acknowledged', comment: 'mine', assignee: 'erin@corp.example' });
    expect(r.statusCode).toBe(200);
    const j = r.json() as { alert: Alert; history: Array<Record<string, unknown>> };
    expect(j.alert).toMatchObject({ status: 'acknowledged', assignee: 'erin@corp.example' });
    expect(j.history).toHaveLength(1);
    expect(j.history[0]).toMatchObject({ from_status: 'new', status: 'acknowledged', comment: 'mine', assignee: 'erin@corp.example', from_assignee: null });
    expect(j.history[0]?.['actor']).toMatch(/^token:/);
    expect(Date.parse(j.history[0]?.['at'] as string)).toBeGreaterThanOrEqual(before - 1);
    // a status-only change keeps the assignee and records no assignee change
    const again = (await post('/v1/alerts/tr-03/status', { status: 'resolved' })).json() as { alert: Alert; history: Array<Record<string, unknown>> };
    expect(again.alert).toMatchObject({ status: 'resolved', assignee: 'erin@corp.example' });
    expect(again.history[1]).not.toHaveProperty('assignee');
  });

  it('the assignee is kept when detection re-emits the alert', async () => {
    const a = ALERTS[3] as Alert;
    expect(await store.insertAlerts([{ ...a, count: 7, last_seen: iso(Date.parse(a.last_seen) + H), assignee: null }])).toMatchObject({ updated: 1 });
    const stored = await store.getAlert('tr-03');
    expect(stored).toMatchObject({ count: 7, status: 'resolved', assignee: 'erin@corp.example' });
  });

  it('null unassigns; bad bodies are 400 naming the field; unknown alert 404', async () => {
    const r = await post('/v1/alerts/tr-03/status', { status: 'resolved', assignee: null });
    expect((r.json() as { alert: Alert }).alert.assignee).toBeNull();
    for (const [body, field] of [
      [{ status: 'closed' }, 'status'],
      [{ status: 'new', assignee: '' }, 'assignee'],
      [{ status: 'new', assignee: 'none' }, 'assignee'],
      [{ status: 'new', assignee: 7 }, 'assignee'],
      [{ status: 'new', assignee: 'x'.repeat(257) }, 'assignee'],
      [{ status: 'new', owner: 'x' }, 'owner'],
    ] as const)
      await expect400(post('/v1/alerts/tr-03/status', body), field, JSON.stringify(body).slice(0, 60));
    expect((await post('/v1/alerts/nope/status', { status: 'resolved' })).statusCode).toBe(404);
  });
});

describe('POST /v1/alerts/bulk', () => {
  it('changes every found alert with one history entry each; unknown ids in not_found', async () => {
    const r = await post('/v1/alerts/bulk', { alert_ids: ['tr-10', 'tr-11', 'ghost', 'tr-10'], status: 'false_positive', comment: 'benign batch job' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ updated: ['tr-10', 'tr-11'], not_found: ['ghost'] });
    for (const id of ['tr-10', 'tr-11']) {
      const h = await store.triage.history(id);
      expect(h, id).toHaveLength(1);
      expect(h[0]).toMatchObject({ status: 'false_positive', comment: 'benign batch job' });
      expect((await store.getAlert(id))?.status).toBe('false_positive');
    }
  });

  it('a comment alone is a history entry that leaves status and assignee as they are', async () => {
    expect((await post('/v1/alerts/bulk', { alert_ids: ['tr-10'], comment: 'checked with the owner' })).statusCode).toBe(200);
    const h = await store.triage.history('tr-10');
    expect(h.map((c) => [c.from_status, c.status, c.comment])).toEqual([
      ['new', 'false_positive', 'benign batch job'],
      ['false_positive', 'false_positive', 'checked with the owner'],
    ]);
  });

  it('400 naming the field: no ids, too many ids, nothing to change, bad status, unknown key, not an object', async () => {
    await expect400(post('/v1/alerts/bulk', { alert_ids: [], status: 'resolved' }), 'alert_ids');
    await expect400(post('/v1/alerts/bulk', { alert_ids: Array.from({ length: 1001 }, (_, i) => `a${i}`), status: 'resolved' }), 'alert_ids');
    await expect400(post('/v1/alerts/bulk', { alert_ids: [''], status: 'resolved' }), 'alert_ids.0');
    await expect400(post('/v1/alerts/bulk', { alert_ids: ['tr-10'] }), 'at least one of status, assignee, comment');
    await expect400(post('/v1/alerts/bulk', { alert_ids: ['tr-10'], status: 'done' }), 'status');
    await expect400(post('/v1/alerts/bulk', { alert_ids: ['tr-10'], status: 'new', force: true }), 'force');
    await expect400(post('/v1/alerts/bulk', ['tr-10']), 'alert_ids');
  });

  it('1,000 ids in one request', async () => {
    const r = await post('/v1/alerts/bulk', {
      alert_ids: [...Array.from({ length: 998 }, (_, i) => `missing-${i}`), 'tr-20', 'tr-21'],
      assignee: 'fay@corp.example',
    });
    expect(r.statusCode).toBe(200);
    expect((r.json() as { updated: string[] }).updated).toEqual(['tr-20', 'tr-21']);
    expect((r.json() as { not_found: string[] }).not_found).toHaveLength(998);
  });
});

describe('POST /v1/alerts/{id}/comments', () => {
  it('201 with the comment; a retried identical request is stored once; another text is another comment', async () => {
    const r1 = await post('/v1/alerts/tr-05/comments', { text: 'Owner says this is the nightly export.' });
    expect(r1.statusCode).toBe(201);
    const c1 = (r1.json() as { comment: Record<string, string> }).comment;
    expect(c1).toMatchObject({ alert_id: 'tr-05', text: 'Owner says this is the nightly export.' });
    expect(c1['actor']).toMatch(/^token:/);
    const r2 = await post('/v1/alerts/tr-05/comments', { text: 'Owner says this is the nightly export.' });
    expect(r2.statusCode).toBe(201);
    expect((r2.json() as { comment: unknown }).comment).toEqual(c1);
    await post('/v1/alerts/tr-05/comments', { text: 'Closing.' });
    expect((await store.triage.comments('tr-05')).map((c) => c.text)).toEqual(['Owner says this is the nightly export.', 'Closing.']);
  });

  it('400 for empty, blank, too long text and unknown keys; 404 for an unknown alert', async () => {
    await expect400(post('/v1/alerts/tr-05/comments', { text: '' }), 'text');
    await expect400(post('/v1/alerts/tr-05/comments', { text: ' \n ' }), 'text');
    await expect400(post('/v1/alerts/tr-05/comments', { text: 'x'.repeat(10_001) }), 'text');
    await expect400(post('/v1/alerts/tr-05/comments', {}), 'text');
    await expect400(post('/v1/alerts/tr-05/comments', { text: 'x', author: 'me' }), 'author');
    expect((await post('/v1/alerts/nope/comments', { text: 'x' })).statusCode).toBe(404);
  });
});

describe('GET /v1/alerts/{id}: the detail', () => {
  const hourOf = BASE + 8 * H; // tr-00 spans BASE .. BASE (last_seen = first_seen + 0h)
  beforeAll(async () => {
    const events: CanonicalEvent[] = [
      // the agent's history: two days at 09:00 UTC, 4 and 6 events
      ...Array.from({ length: 4 }, (_, i) => toolCall(`hist-a${i}`, iso(hourOf - 2 * 24 * H + H + i * 60_000), { token_id: 'tok-old' })),
      ...Array.from({ length: 6 }, (_, i) => toolCall(`hist-b${i}`, iso(hourOf - 24 * H + H + i * 60_000), { token_id: 'tok-91' })),
      // the evidence: acting for carol, delegated by the planner
      toolCall('tr-0-e1', iso(BASE + 5 * 60_000), {
        token_id: 'tok-91',
        on_behalf_of: 'carol@corp.example',
        delegation_chain: ['user:carol@corp.example', PLANNER, 'spiffe://corp.example/agents/unknown-helper', AGENT],
      }),
      {
        kind: 'token_issued',
        event_id: 'iss-91',
        time: iso(hourOf - 24 * H),
        agent_id: AGENT,
        token_id: 'tok-91',
        issuer: 'https://idp.corp.example',
        scopes: ['erp.read'],
        expires_at: iso(hourOf - 23 * H),
      },
    ];
    await store.insertEvents(events);
    await post('/v1/alerts/tr-00/status', { status: 'acknowledged', assignee: 'gus@corp.example' });
    await post('/v1/alerts/tr-00/comments', { text: 'looking' });
  });

  it('alert, evidence events, history, comments, registry entry, chain and related alerts', async () => {
    const r = await get('/v1/alerts/tr-00');
    expect(r.statusCode).toBe(200);
    const j = r.json();
    expect(j.alert).toMatchObject({ alert_id: 'tr-00', assignee: 'gus@corp.example', status: 'acknowledged' });
    expect(j.events.map((e: CanonicalEvent) => e.event_id)).toEqual(['tr-0-e1']);
    expect(j.history).toHaveLength(1);
    expect(j.comments.map((c: { text: string }) => c.text)).toEqual(['looking']);
    expect(j.registry).toMatchObject({ id: AGENT, owner: 'alice@corp.example' });
    expect(j.chain).toEqual([
      { id: 'carol@corp.example', kind: 'person', registered: true },
      { id: PLANNER, kind: 'agent', registered: true, owner: 'bob@corp.example' },
      { id: 'spiffe://corp.example/agents/unknown-helper', kind: 'agent', registered: false, owner: null },
      { id: AGENT, kind: 'agent', registered: true, owner: 'alice@corp.example' },
    ]);
    const related = ALERTS.filter((a) => a.agent_id === AGENT && a.alert_id !== 'tr-00');
    expect(j.related.map((a: Alert) => a.alert_id).sort()).toEqual(related.map((a) => a.alert_id).sort());
    expect(j.related.every((a: Alert) => a.agent_id === AGENT)).toBe(true);
    const times = j.related.map((a: Alert) => Date.parse(a.last_seen));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it('baseline: the rule figures beside the hourly profile of the 30 days before, and this hour', async () => {
    await store.insertAlerts([
      { ...(ALERTS[0] as Alert), alert_id: 'tr-bl', last_seen: iso(hourOf + 20 * 60_000), evidence: { event_ids: [], observed: 12, p95: 5 } },
    ]);
    const j = (await get('/v1/alerts/tr-bl')).json();
    expect(j.baseline.rule_figures).toEqual({ observed: 12, p95: 5 });
    expect(j.baseline.this_hour).toBe(iso(hourOf));
    expect(j.baseline.hour_of_day_events).toHaveLength(24);
    // 4 then 6 events at 09:00 on two active days (the evidence event at 00:05 on a third): mean per active day
    expect(j.baseline.hour_of_day_events[9]).toBeCloseTo(10 / 3, 2);
    expect(j.baseline.hour_of_day_events[0]).toBeCloseTo(1 / 3, 2);
    expect(j.baseline.typical_hourly_events).toBe(2.5); // median of 4, 1 (the token_issued at 08:00), 6, 1
    expect(j.baseline.this_hour_events).toBe(0);
  });

  it('404 for an unknown alert', async () => {
    expect((await get('/v1/alerts/nope')).statusCode).toBe(404);
  });

  it('GET /v1/agents/{id}: 30 days of hourly aggregates and the tokens seen', async () => {
    // ROGUE: 3 events two hours ago, 2 forty days ago (outside the 30 days)
    const now = Date.now();
    await store.insertEvents([
      ...[0, 1, 2].map((i) => toolCall(`recent-${i}`, iso(now - 2 * H + i * 1000), { agent_id: ROGUE, outcome: i === 0 ? 'denied' : 'success' })),
      ...[0, 1].map((i) => toolCall(`old-${i}`, iso(now - 40 * 24 * H + i * 1000), { agent_id: ROGUE })),
    ]);
    const rogue = (await get(`/v1/agents/${encodeURIComponent(ROGUE)}`)).json().agent;
    expect(rogue).toMatchObject({ agent_id: ROGUE, registered: false, tokens: [] });
    expect(rogue.hourly.reduce((n: number, h: { events: number }) => n + h.events, 0)).toBe(3);
    const sum = (k: string) => rogue.hourly.reduce((n: number, h: Record<string, number>) => n + (h[k] ?? 0), 0);
    expect([sum('calls'), sum('denied')]).toEqual([3, 1]);
    expect(rogue.hourly[0].hour).toMatch(/:00:00\.000Z$/);
    const r = await get(`/v1/agents/${encodeURIComponent(AGENT)}`);
    expect(r.statusCode).toBe(200);
    const agent = r.json().agent;
    expect(agent).toMatchObject({ agent_id: AGENT, registered: true });
    expect(agent.tokens.map((t: { token_id: string }) => t.token_id)).toEqual(['tok-91', 'tok-old']);
    expect(agent.tokens[0]).toMatchObject({ issuer: 'https://idp.corp.example', scopes: ['erp.read'], events: 8 });
    expect(agent.tokens[1]).not.toHaveProperty('issuer');
    expect((await get('/v1/agents/spiffe%3A%2F%2Fnobody')).statusCode).toBe(404);
  });
});
