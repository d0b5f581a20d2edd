import type { Alert, Registry } from '@agentwatch/schemas';
import type { Store } from '@agentwatch/store';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, createTokenStore, hashToken, type Role, type TokenStore } from '../src/index.ts';
import { AGENT, alert, closeAll, openStore, recordingIngest, toolCall } from './helpers.ts';

const BOOTSTRAP = 'bootstrap-secret-for-tests';
const OTHER = 'spiffe://corp.example/agents/rogue';

let store: Store;
let tokens: TokenStore;
let app: FastifyInstance;
let ready: boolean | { ready: false; reason: string } = false;
const rec = recordingIngest();
const tok: Record<Role, string> = { viewer: '', analyst: '', engineer: '', admin: '' };
const registry: Pick<Registry, 'agents'> = {
  agents: [
    {
      id: AGENT,
      name: 'Invoice bot',
      owner: 'alice@corp.example',
      status: 'active',
      purpose: 'reads invoices',
      registered_at: '2026-01-10',
      scope: {},
    },
  ],
};

const auth = (role: Role) => ({ authorization: `Bearer ${tok[role]}` });

beforeAll(async () => {
  store = await openStore();
  tokens = createTokenStore(store);
  for (const r of Object.keys(tok) as Role[]) tok[r] = (await tokens.createToken(r)).token;
  app = buildServer({
    store,
    ingest: rec.ingest,
    tokens,
    bootstrapToken: BOOTSTRAP,
    registry: () => registry,
    ready: async () => ready,
    eventsBodyLimit: 64 * 1024,
  });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await closeAll();
});

const errorShape = (body: unknown) =>
  expect(body).toMatchObject({ error: { code: expect.any(String), message: expect.any(String), details: expect.any(Array) } });

describe('health', () => {
  it('healthz needs no token', async () => {
    const r = await app.inject({ method: 'GET', url: '/healthz' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ status: 'ok' });
  });

  it('readyz is 503 until ready, then 200', async () => {
    const before = await app.inject({ method: 'GET', url: '/readyz' });
    expect(before.statusCode).toBe(503);
    errorShape(before.json());
    ready = true;
    const after = await app.inject({ method: 'GET', url: '/readyz' });
    expect(after.statusCode).toBe(200);
  });

  it('readyz names why it is not ready (e.g. the broker being waited for)', async () => {
    ready = { ready: false, reason: 'kafka: waiting (KafkaJSConnectionError: Connection error: connect ECONNREFUSED 127.0.0.1:9092)' };
    try {
      const r = await app.inject({ method: 'GET', url: '/readyz' });
      expect(r.statusCode).toBe(503);
      expect(r.json().error.message).toBe(`not ready: ${ready.reason}`);
    } finally {
      ready = true;
    }
  });

  it('unknown route is a 404 in the error shape', async () => {
    const r = await app.inject({ method: 'GET', url: '/nope', headers: auth('viewer') });
    expect(r.statusCode).toBe(404);
    errorShape(r.json());
  });
});

describe('auth', () => {
  it('missing token: 401 with WWW-Authenticate', async () => {
    const r = await app.inject({ method: 'GET', url: '/v1/alerts' });
    expect(r.statusCode).toBe(401);
    expect(r.headers['www-authenticate']).toMatch(/Bearer/);
    errorShape(r.json());
    expect(r.json().error.code).toBe('unauthorized');
  });

  it('unknown token and malformed header: 401', async () => {
    for (const h of ['Bearer not-a-token', 'Basic abc', 'Bearer', tok.admin]) {
      const r = await app.inject({ method: 'GET', url: '/v1/alerts', headers: { authorization: h } });
      expect(r.statusCode, h).toBe(401);
    }
  });

  it('role too weak: 403', async () => {
    const r = await app.inject({ method: 'POST', url: '/v1/alerts/x/status', headers: auth('viewer'), payload: { status: 'resolved' } });
    expect(r.statusCode).toBe(403);
    expect(r.json().error.code).toBe('forbidden');
    const ingest = await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { ...auth('analyst'), 'content-type': 'application/x-ndjson' },
      payload: '{}',
    });
    expect(ingest.statusCode).toBe(403);
  });

  it('the bootstrap token is admin; every created role can read', async () => {
    const r = await app.inject({ method: 'GET', url: '/v1/alerts', headers: { authorization: `Bearer ${BOOTSTRAP}` } });
    expect(r.statusCode).toBe(200);
    for (const role of Object.keys(tok) as Role[]) {
      expect((await app.inject({ method: 'GET', url: '/v1/alerts', headers: auth(role) })).statusCode, role).toBe(200);
    }
  });

  it('the bootstrap token is not accepted when not configured', async () => {
    const other = buildServer({ store, ingest: rec.ingest, tokens, ready: async () => true });
    const r = await other.inject({ method: 'GET', url: '/v1/alerts', headers: { authorization: `Bearer ${BOOTSTRAP}` } });
    expect(r.statusCode).toBe(401);
    await other.close();
  });

  it('a revoked token is refused', async () => {
    const t = createTokenStore(store, { cacheMs: 0 });
    const created = await t.createToken('viewer');
    const other = buildServer({ store, ingest: rec.ingest, tokens: t, ready: async () => true });
    const h = { authorization: `Bearer ${created.token}` };
    expect((await other.inject({ method: 'GET', url: '/v1/agents', headers: h })).statusCode).toBe(200);
    expect(await t.revoke(created.token_id)).toBe(true);
    expect((await other.inject({ method: 'GET', url: '/v1/agents', headers: h })).statusCode).toBe(401);
    await other.close();
  });

  it('metrics need a token and serve Prometheus text', async () => {
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    const r = await app.inject({ method: 'GET', url: '/metrics', headers: auth('viewer') });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/text\/plain/);
    expect(r.body).toContain('agentwatch_events_accepted_total');
    expect(r.body).toContain('process_cpu_user_seconds_total');
  });
});

describe('POST /v1/events', () => {
  const post = (payload: string, contentType = 'application/x-ndjson', role: Role = 'engineer') =>
    app.inject({ method: 'POST', url: '/v1/events', headers: { ...auth(role), 'content-type': contentType }, payload });

  it('accepts NDJSON, reports bad lines with their line numbers (202)', async () => {
    rec.items.length = 0;
    const body = [
      JSON.stringify(toolCall('ev-1', '2026-11-02T09:00:00Z')),
      '{not json',
      '',
      JSON.stringify({ kind: 'tool_call', event_id: 'ev-x' }),
      `${JSON.stringify(toolCall('ev-2', '2026-11-02T09:01:00Z'))}\r`,
    ].join('\n');
    const r = await post(body);
    expect(r.statusCode).toBe(202);
    const j = r.json();
    expect(j.accepted).toBe(2);
    expect(j.rejected.map((x: { line: number }) => x.line)).toEqual([2, 4]);
    expect(j.rejected[0].error).toMatch(/JSON/);
    expect(rec.items).toHaveLength(2);
    expect(rec.items[0]).toMatchObject({ event: { event_id: 'ev-1' }, timeMs: Date.parse('2026-11-02T09:00:00Z') });
  });

  it('accepts a JSON array (line = 1-based position), charset parameter allowed', async () => {
    rec.items.length = 0;
    const r = await post(JSON.stringify([toolCall('ev-3', '2026-11-02T09:02:00Z'), { bad: true }]), 'application/json; charset=utf-8');
    expect(r.statusCode).toBe(202);
    expect(r.json()).toMatchObject({ accepted: 1, rejected: [{ line: 2 }] });
    expect(rec.items).toHaveLength(1);
  });

  it('400 when none is valid, with per-line rejections', async () => {
    const r = await post('{"a":1}\nnope\n');
    expect(r.statusCode).toBe(400);
    const j = r.json();
    expect(j.accepted).toBe(0);
    expect(j.rejected.map((x: { line: number }) => x.line)).toEqual([1, 2]);
    errorShape(j);
  });

  it('bad input is a 4xx, never a 500', async () => {
    const cases: Array<[string, string, number]> = [
      ['', 'application/x-ndjson', 400],
      ['   \n\n', 'application/x-ndjson', 400],
      ['', 'application/json', 400],
      ['[1,', 'application/json', 400],
      ['{"kind":"tool_call"}', 'application/json', 400],
      ['null', 'application/json', 400],
      ['[]', 'application/json', 400],
      ['hello', 'text/plain', 415],
      ['hello', 'application/xml', 415],
    ];
    for (const [payload, ct, status] of cases) {
      const r = await post(payload, ct);
      expect(r.statusCode, `${ct} ${JSON.stringify(payload)}`).toBe(status);
      errorShape(r.json());
    }
    const noType = await app.inject({ method: 'POST', url: '/v1/events', headers: auth('engineer') });
    expect(noType.statusCode).toBe(400);
    errorShape(noType.json());
  });

  it('oversized body: 413', async () => {
    const line = JSON.stringify(toolCall('ev-big', '2026-11-02T09:00:00Z'));
    const body = Array.from({ length: Math.ceil((70 * 1024) / line.length) }, () => line).join('\n');
    const r = await post(body);
    expect(r.statusCode).toBe(413);
    expect(r.json().error.code).toBe('payload_too_large');
  });

  it('an ingest failure is a 500 in the error shape (our fault)', async () => {
    const other = buildServer({
      store,
      tokens,
      bootstrapToken: BOOTSTRAP,
      ready: async () => true,
      ingest: async () => {
        throw new Error('kafka down');
      },
    });
    const r = await other.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { authorization: `Bearer ${BOOTSTRAP}`, 'content-type': 'application/x-ndjson' },
      payload: JSON.stringify(toolCall('ev-9', '2026-11-02T09:00:00Z')),
    });
    expect(r.statusCode).toBe(500);
    expect(r.json().error.code).toBe('internal');
    await other.close();
  });

  it('ingest rejections are mapped back to request lines', async () => {
    const other = buildServer({
      store,
      tokens,
      bootstrapToken: BOOTSTRAP,
      ready: async () => true,
      ingest: async (items) => ({ accepted: items.length - 1, rejected: [{ line: 2, error: 'duplicate' }] }),
    });
    const body = ['x', JSON.stringify(toolCall('a', '2026-11-02T09:00:00Z')), JSON.stringify(toolCall('b', '2026-11-02T09:00:00Z'))].join('\n');
    const r = await other.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { authorization: `Bearer ${BOOTSTRAP}`, 'content-type': 'application/x-ndjson' },
      payload: body,
    });
    expect(r.statusCode).toBe(202);
    expect(r.json()).toMatchObject({ accepted: 1, rejected: [{ line: 1 }, { line: 3, error: 'duplicate' }] });
    await other.close();
  });

  it('counts accepted and rejected events in /metrics', async () => {
    const r = await app.inject({ method: 'GET', url: '/metrics', headers: auth('viewer') });
    expect(r.body).toMatch(/agentwatch_events_accepted_total [1-9]/);
    expect(r.body).toMatch(/agentwatch_events_rejected_total [1-9]/);
  });
});

describe('alerts', () => {
  const alerts: Alert[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 25; i++) {
      const minute = String(i).padStart(2, '0');
      alerts.push(
        alert(`al-${minute}`, {
          first_seen: `2026-11-02T10:${minute}:00.000Z`,
          last_seen: `2026-11-02T10:${minute}:30.000Z`,
          severity: i % 5 === 0 ? 'critical' : 'low',
          category: i % 2 === 0 ? 'scope_drift' : 'credential',
          agent_id: i < 20 ? AGENT : OTHER,
          evidence: { event_ids: [`al-${minute}-e1`] },
        }),
      );
    }
    await store.insertAlerts(alerts);
    await store.insertEvents([toolCall('al-00-e1', '2026-11-02T10:00:00Z'), toolCall('unrelated', '2026-11-02T10:00:01Z')]);
  });

  const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers: { ...auth('viewer'), ...headers } });

  it('pages with the cursor until next_cursor is null', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r = await get(`/v1/alerts?limit=10${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(r.statusCode).toBe(200);
      const j = r.json() as { alerts: Alert[]; next_cursor: string | null };
      seen.push(...j.alerts.map((a) => a.alert_id));
      cursor = j.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(25);
    expect(seen[0]).toBe('al-24'); // newest first
    expect(new Set(seen).size).toBe(25);
  });

  it('filters: severity minimum, category, agent_id, time range, repeated and comma lists', async () => {
    const ids = async (qs: string) => ((await get(`/v1/alerts?${qs}`)).json() as { alerts: Alert[] }).alerts.map((a) => a.alert_id).sort();
    expect(await ids('severity=high')).toEqual(['al-00', 'al-05', 'al-10', 'al-15', 'al-20']);
    expect((await ids('category=credential')).length).toBe(12);
    expect(await ids(`agent_id=${encodeURIComponent(OTHER)}`)).toEqual(['al-20', 'al-21', 'al-22', 'al-23', 'al-24']);
    expect(await ids('since=2026-11-02T10:23:00Z')).toEqual(['al-23', 'al-24']);
    expect(await ids('until=2026-11-02T10:02:00Z')).toEqual(['al-00', 'al-01']);
    expect((await ids('status=new,acknowledged&status=resolved')).length).toBe(25);
    expect(await ids('rule_id=none')).toEqual([]);
  });

  it('bad filter values: 400 naming the parameter', async () => {
    const cases: Array<[string, string]> = [
      ['severity=huge', 'severity'],
      ['since=yesterday', 'since'],
      ['until=2026-11-02', 'until'],
      ['limit=0', 'limit'],
      ['limit=abc', 'limit'],
      ['limit=1001', 'limit'],
      ['status=open', 'status'],
      ['category=weird', 'category'],
      ['cursor=garbage', 'cursor'],
      ['format=xml', 'format'],
      ['severity=high&severity=low', 'severity'],
      ['severty=high', 'severty'],
    ];
    for (const [qs, param] of cases) {
      const r = await get(`/v1/alerts?${qs}`);
      expect(r.statusCode, qs).toBe(400);
      errorShape(r.json());
      expect(r.json().error.details[0].parameter, qs).toBe(param);
    }
  });

  it('streams every match as NDJSON (Accept header or ?format=ndjson), paging through the store', async () => {
    for (const [url, headers] of [
      ['/v1/alerts?limit=7', { accept: 'application/x-ndjson' }],
      ['/v1/alerts?format=ndjson&limit=4', {}],
    ] as const) {
      const r = await get(url, headers);
      expect(r.statusCode).toBe(200);
      expect(r.headers['content-type']).toMatch(/application\/x-ndjson/);
      const lines = r.body.trimEnd().split('\n');
      expect(lines).toHaveLength(25);
      expect(new Set(lines.map((l) => (JSON.parse(l) as Alert).alert_id)).size).toBe(25);
    }
    const filtered = await get('/v1/alerts?format=ndjson&severity=critical');
    expect(filtered.body.trimEnd().split('\n')).toHaveLength(5);
    const none = await get('/v1/alerts?format=ndjson&rule_id=none');
    expect(none.statusCode).toBe(200);
    expect(none.body).toBe('');
    expect((await get('/v1/alerts?format=ndjson&cursor=bad')).statusCode).toBe(400);
  });

  it('one alert with its evidence events and history; 404 when unknown', async () => {
    const r = await get('/v1/alerts/al-00');
    expect(r.statusCode).toBe(200);
    const j = r.json();
    expect(j.alert).toEqual({ ...alerts[0], assignee: null });
    expect(j.events.map((e: { event_id: string }) => e.event_id)).toEqual(['al-00-e1']);
    expect(j.history).toEqual([]);
    const missing = await get('/v1/alerts/nope');
    expect(missing.statusCode).toBe(404);
    errorShape(missing.json());
  });

  it('status change (analyst) then history', async () => {
    const post = (payload: unknown, role: Role = 'analyst', id = 'al-03') =>
      app.inject({ method: 'POST', url: `/v1/alerts/${id}/status`, headers: auth(role), payload: payload as object });
    const r = await post({ status: 'acknowledged', comment: 'looking' });
    expect(r.statusCode).toBe(200);
    expect(r.json().alert.status).toBe('acknowledged');
    const r2 = await post({ status: 'resolved' }, 'admin');
    expect(r2.statusCode).toBe(200);
    const detail = (await get('/v1/alerts/al-03')).json();
    expect(detail.alert.status).toBe('resolved');
    expect(detail.history).toHaveLength(2);
    expect(detail.history[0]).toMatchObject({ from_status: 'new', status: 'acknowledged', comment: 'looking' });
    expect(detail.history[0].actor).toMatch(/^token:/);
    expect(detail.history[1]).toMatchObject({ from_status: 'acknowledged', status: 'resolved', comment: '' });
    const listed = (await get('/v1/alerts?status=resolved')).json();
    expect(listed.alerts.map((a: Alert) => a.alert_id)).toEqual(['al-03']);
  });

  it('status change: bad bodies are 400, unknown alert 404', async () => {
    const post = (payload: string, contentType = 'application/json', id = 'al-04') =>
      app.inject({ method: 'POST', url: `/v1/alerts/${id}/status`, headers: { ...auth('analyst'), 'content-type': contentType }, payload });
    for (const body of ['{"status":"closed"}', '{}', '[]', '{"status":"resolved","comment":5}', '{"status":"resolved","x":1}', '{bad', '']) {
      const r = await post(body);
      expect(r.statusCode, body).toBe(400);
      errorShape(r.json());
    }
    expect((await post('status=resolved', 'text/plain')).statusCode).toBe(415);
    expect((await post('{"status":"resolved"}', 'application/json', 'nope')).statusCode).toBe(404);
  });
});

describe('agents', () => {
  beforeAll(async () => {
    await store.insertEvents([toolCall('ag-1', '2026-11-02T08:00:00Z', { agent_id: OTHER })]);
  });

  it('lists registry entries and unregistered actors seen', async () => {
    const r = await app.inject({ method: 'GET', url: '/v1/agents', headers: auth('viewer') });
    expect(r.statusCode).toBe(200);
    const agents = r.json().agents as Array<{ agent_id: string; registered: boolean; activity: unknown; alerts: { total: number } }>;
    const mine = agents.find((a) => a.agent_id === AGENT);
    const rogue = agents.find((a) => a.agent_id === OTHER);
    expect(mine).toMatchObject({ registered: true, registry: { name: 'Invoice bot' } });
    expect(mine?.alerts.total).toBeGreaterThan(0);
    expect(rogue).toMatchObject({ registered: false, registry: null, activity: { events: 1, first_seen: '2026-11-02T08:00:00.000Z' } });
    expect(rogue?.alerts).toMatchObject({ total: 5, max_severity: 'critical' });
  });

  it('one agent by id (URI ids, encoded or not); 404 when unknown', async () => {
    for (const url of [`/v1/agents/${encodeURIComponent(OTHER)}`, `/v1/agents/${OTHER}`]) {
      const r = await app.inject({ method: 'GET', url, headers: auth('viewer') });
      expect(r.statusCode, url).toBe(200);
      expect(r.json().agent).toMatchObject({ agent_id: OTHER, registered: false });
    }
    const missing = await app.inject({ method: 'GET', url: '/v1/agents/nobody', headers: auth('viewer') });
    expect(missing.statusCode).toBe(404);
    errorShape(missing.json());
  });
});

describe('listening on a real port', () => {
  it('serves over HTTP on 127.0.0.1', async () => {
    const other = buildServer({ store, ingest: rec.ingest, tokens, bootstrapToken: BOOTSTRAP, ready: async () => true });
    const addr = await other.listen({ host: '127.0.0.1', port: 0 });
    try {
      const r = await fetch(`${addr}/v1/alerts?format=ndjson`, { headers: { authorization: `Bearer ${BOOTSTRAP}` } });
      expect(r.status).toBe(200);
      expect((await r.text()).trimEnd().split('\n').length).toBe(25);
      expect((await fetch(`${addr}/healthz`)).status).toBe(200);
    } finally {
      await other.close();
    }
  });
});

describe('token store', () => {
  it('keeps only a SHA-256 hash; tokens survive a new TokenStore; roles validated', async () => {
    const created = await tokens.createToken('analyst');
    expect(created.token).toMatch(/^aw_[A-Za-z0-9_-]{40,}$/);
    const rs = await store.client.query({ query: `SELECT * FROM ${store.database}.api_tokens`, format: 'JSONEachRow' });
    const dump = JSON.stringify(await rs.json());
    expect(dump).not.toContain(created.token);
    expect(dump).toContain(hashToken(created.token));
    const fresh = createTokenStore(store);
    expect(await fresh.verify(created.token)).toMatchObject({ role: 'analyst', token_id: created.token_id, revoked_at: null });
    expect(await fresh.verify('aw_unknown')).toBeNull();
    expect((await fresh.list()).some((t) => t.token_id === created.token_id)).toBe(true);
    expect(await fresh.revoke('no-such-id')).toBe(false);
    await expect(fresh.createToken('root' as Role)).rejects.toThrow(/role/);
  });

  it('an unauthenticated oversized upload is refused with 401 before its body is read', async () => {
    const r = await app.inject({ method: 'POST', url: '/v1/events', headers: { 'content-type': 'application/x-ndjson' }, payload: 'x'.repeat(200 * 1024) });
    expect(r.statusCode).toBe(401);
  });
});
