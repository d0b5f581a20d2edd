import type { Suppression } from '@agentwatch/schemas';
import type { Store } from '@agentwatch/store';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, createTokenStore, type Role } from '../src/index.ts';
import { closeAll, openStore, recordingIngest } from './helpers.ts';

const DAY = 86_400_000;
let store: Store;
let app: FastifyInstance;
const tok: Record<Role, string> = { viewer: '', analyst: '', engineer: '', admin: '' };
const tokenIds: Partial<Record<Role, string>> = {};
let changes = 0;
const auth = (role: Role) => ({ authorization: `Bearer ${tok[role]}` });
const future = (days: number) => new Date(Date.now() + days * DAY).toISOString();
const good = () => ({ match: { agent_id: 'spiffe://corp.example/agents/*', tool: 'erp.*' }, reason: 'nightly ERP sync, ticket OPS-12', expires_at: future(7) });

beforeAll(async () => {
  store = await openStore();
  const tokens = createTokenStore(store);
  for (const r of Object.keys(tok) as Role[]) {
    const t = await tokens.createToken(r);
    tok[r] = t.token;
    tokenIds[r] = t.token_id;
  }
  app = buildServer({
    store,
    ingest: recordingIngest().ingest,
    tokens,
    ready: async () => true,
    suppressions: {
      maxDays: 30,
      changed: async () => {
        changes++;
      },
    },
  });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await closeAll();
});

const post = (payload: unknown, role: Role = 'engineer') =>
  app.inject({ method: 'POST', url: '/v1/suppressions', headers: auth(role), payload: payload as object });

describe('suppression routes: auth', () => {
  it('401 without a token on every route', async () => {
    for (const [method, url] of [
      ['GET', '/v1/suppressions'],
      ['POST', '/v1/suppressions'],
      ['DELETE', '/v1/suppressions/x'],
    ] as const) {
      const r = await app.inject({ method, url });
      expect(r.statusCode, `${method} ${url}`).toBe(401);
    }
  });

  it('403 below the role: reading is viewer, creating and deleting engineer', async () => {
    expect((await app.inject({ method: 'GET', url: '/v1/suppressions', headers: auth('viewer') })).statusCode).toBe(200);
    for (const role of ['viewer', 'analyst'] as const) {
      expect((await post(good(), role)).statusCode, role).toBe(403);
      expect((await app.inject({ method: 'DELETE', url: '/v1/suppressions/x', headers: auth(role) })).statusCode, role).toBe(403);
    }
  });
});

describe('POST /v1/suppressions: 400 naming the field', () => {
  const cases: Array<[string, unknown, string]> = [
    ['no match field', { ...good(), match: {} }, 'match'],
    ['no match', { reason: 'r', expires_at: future(1) }, 'match'],
    ['unknown match key', { ...good(), match: { tool: 'a', agent: 'b' } }, 'match'],
    ['empty match value', { ...good(), match: { tool: '' } }, 'match.tool'],
    ['unknown category', { ...good(), match: { category: 'scope' } }, 'match.category'],
    ['bad glob', { ...good(), match: { resource: 'erp://***' } }, 'match.resource'],
    ['empty reason', { ...good(), reason: '   ' }, 'reason'],
    ['no reason', { match: { tool: 'a' }, expires_at: future(1) }, 'reason'],
    ['no expiry', { match: { tool: 'a' }, reason: 'r' }, 'expires_at'],
    ['expiry not a time', { ...good(), expires_at: 'tomorrow' }, 'expires_at'],
    ['past expiry', { ...good(), expires_at: new Date(Date.now() - 60_000).toISOString() }, 'expires_at'],
    ['expiry too far (suppression_max_days 30)', { ...good(), expires_at: future(31) }, 'expires_at'],
  ];
  for (const [name, body, field] of cases) {
    it(name, async () => {
      const r = await post(body);
      expect(r.statusCode).toBe(400);
      const err = r.json().error as { code: string; message: string; details: Array<{ path: string }> };
      expect(err.code).toBe('invalid_body');
      expect(err.message.startsWith(`${field}: `), err.message).toBe(true);
    });
  }

  it('unknown top-level key, and a body that is not an object', async () => {
    const r = await post({ ...good(), author: 'someone-else' });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.message).toMatch(/unknown key author/);
    const list = await post([good()]);
    expect(list.statusCode).toBe(400);
  });

  it('nothing was stored by the refused requests', async () => {
    const r = await app.inject({ method: 'GET', url: '/v1/suppressions?include_expired=true', headers: auth('viewer') });
    expect(r.json().suppressions).toEqual([]);
    expect(changes).toBe(0);
  });

  it('GET with a bad include_expired or an unknown parameter is a 400 naming it', async () => {
    const bad = await app.inject({ method: 'GET', url: '/v1/suppressions?include_expired=yes', headers: auth('viewer') });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/^include_expired: /);
    const unknown = await app.inject({ method: 'GET', url: '/v1/suppressions?expired=true', headers: auth('viewer') });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.message).toMatch(/expired/);
  });
});

describe('suppression routes: behaviour', () => {
  let created: Suppression;

  it('POST creates (201) with the author from the token, tells the engines, and GET lists it with its hits', async () => {
    const body = good();
    const r = await post(body);
    expect(r.statusCode).toBe(201);
    created = r.json().suppression as Suppression;
    expect(created).toMatchObject({
      match: body.match,
      reason: body.reason,
      expires_at: body.expires_at,
      author: `token:${tokenIds.engineer}`,
      hits: 0,
      last_hit: null,
      expired: false,
      deleted_at: null,
    });
    expect(changes).toBe(1);
    await store.suppressions.recordHits([
      {
        alert_id: 'a1',
        rule_id: 'scope.tool_outside_registry',
        rule_version: '1',
        category: 'scope_drift',
        severity: 'high',
        risk_score: 70,
        agent_id: 'spiffe://corp.example/agents/x',
        owner: null,
        title: 't',
        summary: 's',
        first_seen: '2026-11-02T09:00:00.000Z',
        last_seen: '2026-11-02T09:10:00.000Z',
        count: 1,
        evidence: { event_ids: [] },
        tags: [],
        status: 'suppressed',
        suppression_id: created.id,
      },
    ]);
    const list = await app.inject({ method: 'GET', url: '/v1/suppressions', headers: auth('viewer') });
    expect(list.statusCode).toBe(200);
    expect(list.json().suppressions).toEqual([{ ...created, hits: 1, last_hit: '2026-11-02T09:10:00.000Z' }]);
  });

  it('DELETE answers the suppression with deleted_at; it leaves the list in force but stays with include_expired', async () => {
    const r = await app.inject({ method: 'DELETE', url: `/v1/suppressions/${created.id}`, headers: auth('engineer') });
    expect(r.statusCode).toBe(200);
    expect(r.json().suppression).toMatchObject({ id: created.id, deleted_at: expect.any(String) });
    expect(changes).toBe(2);
    expect((await app.inject({ method: 'GET', url: '/v1/suppressions', headers: auth('viewer') })).json().suppressions).toEqual([]);
    const all = await app.inject({ method: 'GET', url: '/v1/suppressions?include_expired=true', headers: auth('viewer') });
    expect(all.json().suppressions.map((s: Suppression) => s.id)).toEqual([created.id]);
  });

  it('DELETE of an unknown id is a 404', async () => {
    const r = await app.inject({ method: 'DELETE', url: '/v1/suppressions/no-such-id', headers: auth('engineer') });
    expect(r.statusCode).toBe(404);
    expect(r.json().error.code).toBe('not_found');
  });
});
