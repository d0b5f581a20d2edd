import { createHash } from 'node:crypto';
import { parseRegistry } from '@agentwatch/detections';
import type { RegistryVersionSummary, Store } from '@agentwatch/store';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, createTokenStore, hashToken, type Role, type TokenStore } from '../src/index.ts';
import { REGISTRY_VALIDATE_BODY_LIMIT } from '../src/routes/admin-schemas.ts';
import { closeAll, openStore, recordingIngest } from './helpers.ts';

/** API 1.1 admin routes (routes/admin.ts): session, tokens, registry in force, versions, validate. */
const BOOTSTRAP = 'bootstrap-secret-for-admin-tests';
const REGISTRY_TEXT = `agents:
  - { id: invoice-bot, name: Invoice bot, owner: alice@corp.example, status: active, purpose: invoices, registered_at: 2026-01-01 }
`;
const sha = (t: string) => createHash('sha256').update(t).digest('hex');

let store: Store;
let tokens: TokenStore;
let app: FastifyInstance;
const tok: Record<Role, string> = { viewer: '', analyst: '', engineer: '', admin: '' };
const ids: Record<Role, string> = { viewer: '', analyst: '', engineer: '', admin: '' };
let expiredAdmin = '';
const inForce = parseRegistry(REGISTRY_TEXT, 'registry.yaml');
if (!inForce.ok) throw new Error('test registry invalid');
const version: RegistryVersionSummary = {
  sha256: sha(REGISTRY_TEXT),
  loaded_at: '2026-12-01T10:00:00.000Z',
  agent_count: 1,
  source: '/etc/agentwatch/registry.yaml',
};

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const auth = (role: Role) => bearer(tok[role]);
const admin = bearer(BOOTSTRAP);

beforeAll(async () => {
  store = await openStore();
  tokens = createTokenStore(store);
  for (const r of Object.keys(tok) as Role[]) {
    const c = await tokens.createToken(r, { name: `${r} for tests`, createdBy: 'test' });
    tok[r] = c.token;
    ids[r] = c.token_id;
  }
  // Expired a second ago: the API refuses past expiries, the token store takes any (tests, clock skew).
  expiredAdmin = (await tokens.createToken('admin', { name: 'expired', expiresAtMs: Date.now() - 1000 })).token;
  app = buildServer({
    store,
    ingest: recordingIngest().ingest,
    tokens,
    bootstrapToken: BOOTSTRAP,
    registry: () => inForce.registry.source,
    registryVersion: () => version,
    ready: async () => true,
  });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await closeAll();
});

const ROUTES: Array<{ method: 'GET' | 'POST' | 'DELETE'; url: string; below: Role | null; payload?: unknown; headers?: Record<string, string> }> = [
  { method: 'GET', url: '/v1/session', below: null },
  { method: 'GET', url: '/v1/tokens', below: 'engineer' },
  { method: 'POST', url: '/v1/tokens', below: 'analyst', payload: { role: 'viewer', name: 'x' } },
  { method: 'DELETE', url: '/v1/tokens/abc', below: 'engineer' },
  { method: 'GET', url: '/v1/registry', below: null },
  { method: 'GET', url: '/v1/registry/versions', below: null },
  { method: 'POST', url: '/v1/registry/validate', below: 'viewer', payload: REGISTRY_TEXT, headers: { 'content-type': 'application/yaml' } },
  { method: 'POST', url: '/v1/registry/validate', below: 'analyst', payload: REGISTRY_TEXT, headers: { 'content-type': 'application/yaml' } },
];

describe('auth on every admin route', () => {
  it('401 without a token, 401 "expired" for an expired token, 403 below the role', async () => {
    for (const r of ROUTES) {
      const what = `${r.method} ${r.url}`;
      const base = { method: r.method, url: r.url, ...(r.payload !== undefined ? { payload: r.payload as string } : {}) };
      const none = await app.inject({ ...base, headers: { ...r.headers } });
      expect(none.statusCode, what).toBe(401);
      const expired = await app.inject({ ...base, headers: { ...r.headers, ...bearer(expiredAdmin) } });
      expect(expired.statusCode, what).toBe(401);
      expect(expired.json().error.message, what).toMatch(/expired/);
      if (r.below) {
        const weak = await app.inject({ ...base, headers: { ...r.headers, ...auth(r.below) } });
        expect(weak.statusCode, what).toBe(403);
      }
    }
  });
});

describe('GET /v1/session', () => {
  it('names the role, actor, token id, name and expiry', async () => {
    const r = await app.inject({ method: 'GET', url: '/v1/session', headers: auth('analyst') });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ role: 'analyst', actor: `token:${ids.analyst}`, token_id: ids.analyst, name: 'analyst for tests', expires_at: null });
  });

  it('the bootstrap token is an admin without a token id', async () => {
    const r = await app.inject({ method: 'GET', url: '/v1/session', headers: admin });
    expect(r.json()).toEqual({ role: 'admin', actor: 'bootstrap', token_id: null, name: null, expires_at: null });
  });

  it('a revoked token has no session', async () => {
    const c = await tokens.createToken('viewer', { name: 'short-lived' });
    expect((await app.inject({ method: 'GET', url: '/v1/session', headers: bearer(c.token) })).statusCode).toBe(200);
    await tokens.revoke(c.token_id);
    expect((await app.inject({ method: 'GET', url: '/v1/session', headers: bearer(c.token) })).statusCode).toBe(401);
  });
});

describe('tokens', () => {
  const create = (payload: unknown, headers: Record<string, string> = admin) =>
    app.inject({ method: 'POST', url: '/v1/tokens', headers, payload: payload as Record<string, unknown> });

  it('400 naming the field: bad role, empty or missing name, past or malformed expires_at, unknown keys, not an object', async () => {
    const future = new Date(Date.now() + 86_400_000).toISOString();
    const cases: Array<[unknown, RegExp, string | undefined]> = [
      [{ role: 'root', name: 'x' }, /^role: expected one of viewer, analyst, engineer, admin, got "root"/, 'role'],
      [{ name: 'x' }, /^role: /, 'role'],
      [{ role: 'viewer', name: '' }, /^name: empty/, 'name'],
      [{ role: 'viewer', name: '   ' }, /^name: empty/, 'name'],
      [{ role: 'viewer' }, /^name: /, 'name'],
      [{ role: 'viewer', name: 'x'.repeat(201) }, /^name: longer than 200/, 'name'],
      [{ role: 'viewer', name: 'ops\nadmin' }, /^name: control characters/, 'name'],
      [{ role: 'viewer', name: 'x', expires_at: '2020-01-01T00:00:00Z' }, /^expires_at: expected a time in the future/, 'expires_at'],
      [{ role: 'viewer', name: 'x', expires_at: 'tomorrow' }, /^expires_at: expected an RFC 3339 timestamp/, 'expires_at'],
      [{ role: 'viewer', name: 'x', expires_at: future, scopes: ['all'] }, /^unknown key scopes/, 'scopes'],
      [['viewer'], /expected a JSON object/, undefined],
    ];
    for (const [payload, message, path] of cases) {
      const r = await create(payload);
      expect(r.statusCode, JSON.stringify(payload)).toBe(400);
      expect(r.json().error.message, JSON.stringify(payload)).toMatch(message);
      if (path) expect(r.json().error.details[0].path, JSON.stringify(payload)).toBe(path);
    }
    const wrongType = await app.inject({ method: 'POST', url: '/v1/tokens', headers: { ...admin, 'content-type': 'text/csv' }, payload: 'role,name' });
    expect(wrongType.statusCode).toBe(415);
  });

  it('creates a token (201, secret once) that works with its role; the list never shows the secret or its hash', async () => {
    const expires = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const r = await create({ role: 'analyst', name: 'Bob (SOC night shift)', expires_at: expires }, auth('admin'));
    expect(r.statusCode).toBe(201);
    const created = r.json();
    expect(created).toMatchObject({ role: 'analyst', name: 'Bob (SOC night shift)', expires_at: expires, created_by: `token:${ids.admin}` });
    expect(created.token).toMatch(/^aw_/);
    const h = bearer(created.token);
    expect((await app.inject({ method: 'GET', url: '/v1/session', headers: h })).json()).toMatchObject({ role: 'analyst', token_id: created.token_id });
    // analyst: may read, may not administer tokens or validate registries
    expect((await app.inject({ method: 'GET', url: '/v1/alerts', headers: h })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/v1/tokens', headers: h })).statusCode).toBe(403);

    const list = await app.inject({ method: 'GET', url: '/v1/tokens', headers: admin });
    expect(list.statusCode).toBe(200);
    const listed = list.json().tokens.find((t: { token_id: string }) => t.token_id === created.token_id);
    expect(listed).toEqual({
      token_id: created.token_id,
      name: 'Bob (SOC night shift)',
      role: 'analyst',
      created_at: created.created_at,
      expires_at: expires,
      revoked_at: null,
      created_by: `token:${ids.admin}`,
      expired: false,
    });
    expect(list.body).not.toContain(created.token);
    expect(list.body).not.toContain(hashToken(created.token));
    expect(list.body).not.toContain(hashToken(tok.viewer));
    expect(list.body).not.toMatch(/"token"|token_hash/);
  });

  it('the bootstrap token is the creator "bootstrap"; expires_at null means no expiry', async () => {
    const r = await create({ role: 'viewer', name: 'dashboards', expires_at: null });
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({ created_by: 'bootstrap', expires_at: null });
  });

  it('revokes: 200 with revoked_at, the token stops at once, revoking again keeps the first time', async () => {
    const created = (await create({ role: 'engineer', name: 'ci pipeline' })).json();
    const h = bearer(created.token);
    expect((await app.inject({ method: 'GET', url: '/v1/session', headers: h })).statusCode).toBe(200);
    const del = await app.inject({ method: 'DELETE', url: `/v1/tokens/${created.token_id}`, headers: admin });
    expect(del.statusCode).toBe(200);
    const revokedAt = del.json().token.revoked_at;
    expect(del.json().token).toMatchObject({ token_id: created.token_id, name: 'ci pipeline', role: 'engineer' });
    expect(Date.parse(revokedAt)).toBeGreaterThan(0);
    expect(del.body).not.toContain(created.token);
    expect((await app.inject({ method: 'GET', url: '/v1/session', headers: h })).statusCode).toBe(401);
    const again = await app.inject({ method: 'DELETE', url: `/v1/tokens/${created.token_id}`, headers: admin });
    expect(again.statusCode).toBe(200);
    expect(again.json().token.revoked_at).toBe(revokedAt);
    const listed = (await app.inject({ method: 'GET', url: '/v1/tokens', headers: admin })).json().tokens;
    expect(listed.find((t: { token_id: string }) => t.token_id === created.token_id).revoked_at).toBe(revokedAt);
  });

  it('404 for an unknown id, saying the bootstrap token cannot be revoked here', async () => {
    for (const id of ['0123456789abcdef', 'bootstrap']) {
      const r = await app.inject({ method: 'DELETE', url: `/v1/tokens/${id}`, headers: admin });
      expect(r.statusCode, id).toBe(404);
      expect(r.json().error.message).toMatch(/no token .*bootstrap token \(AGENTWATCH_BOOTSTRAP_TOKEN\) is not in the token table and cannot be revoked/);
      expect(r.json().error.details).toEqual([{ parameter: 'token_id' }]);
    }
    const secret = await app.inject({ method: 'DELETE', url: `/v1/tokens/${tok.viewer}`, headers: admin });
    expect(secret.statusCode).toBe(400);
    expect(secret.body).not.toContain(tok.viewer);
    expect(secret.json().error.message).toMatch(/^token_id: this is a token's secret/);
    // still admin after trying
    expect((await app.inject({ method: 'GET', url: '/v1/tokens', headers: admin })).statusCode).toBe(200);
  });

  it('an expiring token works until its expiry, then is refused with 401 "expired" and listed as expired', async () => {
    const expires = new Date(Date.now() + 1500).toISOString();
    const created = (await create({ role: 'viewer', name: 'short', expires_at: expires })).json();
    const h = bearer(created.token);
    expect((await app.inject({ method: 'GET', url: '/v1/session', headers: h })).json().expires_at).toBe(expires);
    await new Promise((r) => setTimeout(r, Date.parse(expires) - Date.now() + 50));
    const after = await app.inject({ method: 'GET', url: '/v1/alerts', headers: h });
    expect(after.statusCode).toBe(401);
    expect(after.json().error.message).toBe(`token expired at ${expires}`);
    const listed = (await app.inject({ method: 'GET', url: '/v1/tokens', headers: admin })).json().tokens;
    expect(listed.find((t: { token_id: string }) => t.token_id === created.token_id)).toMatchObject({ expired: true, revoked_at: null });
  });
});

describe('query parameters', () => {
  it('routes without parameters refuse unknown ones, naming them', async () => {
    for (const url of ['/v1/session?role=admin', '/v1/tokens?include_secret=1', '/v1/registry?version=1']) {
      const r = await app.inject({ method: 'GET', url, headers: admin });
      expect(r.statusCode, url).toBe(400);
      expect(r.json().error.message, url).toMatch(/^unknown parameter \w+; this route takes no parameters/);
    }
  });
});

describe('registry in force and its versions', () => {
  it('GET /v1/registry: the registry in force with its version', async () => {
    const r = await app.inject({ method: 'GET', url: '/v1/registry', headers: auth('viewer') });
    expect(r.statusCode).toBe(200);
    expect(r.json().version).toEqual(version);
    expect(r.json().registry.agents.map((a: { id: string }) => a.id)).toEqual(['invoice-bot']);
  });

  it('503 when no registry version is known', async () => {
    const bare = buildServer({ store, ingest: recordingIngest().ingest, tokens, bootstrapToken: BOOTSTRAP, ready: async () => true });
    const r = await bare.inject({ method: 'GET', url: '/v1/registry', headers: admin });
    expect(r.statusCode).toBe(503);
    await bare.close();
  });

  it('GET /v1/registry/versions: newest first without content; ?sha256= one with content; 404 and 400s', async () => {
    const texts = ['agents: []\n', REGISTRY_TEXT];
    await store.recordRegistryVersion({
      sha256: sha(texts[0] as string),
      content: texts[0] as string,
      agentCount: 0,
      source: '/r.yaml',
      loadedAtMs: Date.parse('2026-11-01T00:00:00Z'),
    });
    await store.recordRegistryVersion({
      sha256: sha(texts[1] as string),
      content: texts[1] as string,
      agentCount: 1,
      source: '/r.yaml',
      loadedAtMs: Date.parse('2026-11-02T00:00:00Z'),
    });
    const r = await app.inject({ method: 'GET', url: '/v1/registry/versions', headers: auth('viewer') });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({
      versions: [
        { sha256: sha(REGISTRY_TEXT), loaded_at: '2026-11-02T00:00:00.000Z', agent_count: 1, source: '/r.yaml' },
        { sha256: sha('agents: []\n'), loaded_at: '2026-11-01T00:00:00.000Z', agent_count: 0, source: '/r.yaml' },
      ],
    });
    const one = await app.inject({ method: 'GET', url: `/v1/registry/versions?sha256=${sha('agents: []\n')}`, headers: auth('viewer') });
    expect(one.json().versions).toEqual([
      { sha256: sha('agents: []\n'), loaded_at: '2026-11-01T00:00:00.000Z', agent_count: 0, source: '/r.yaml', content: 'agents: []\n' },
    ]);
    const unknown = await app.inject({ method: 'GET', url: `/v1/registry/versions?sha256=${'0'.repeat(64)}`, headers: auth('viewer') });
    expect(unknown.statusCode).toBe(404);
    for (const [q, message] of [
      ['sha256=abc', /^sha256: expected a SHA-256 as 64 lowercase hex digits/],
      ['limit=3', /^unknown parameter limit/],
    ] as const) {
      const bad = await app.inject({ method: 'GET', url: `/v1/registry/versions?${q}`, headers: auth('viewer') });
      expect(bad.statusCode, q).toBe(400);
      expect(bad.json().error.message, q).toMatch(message);
    }
  });
});

describe('POST /v1/registry/validate', () => {
  const validate = (payload: string | Buffer, type = 'application/yaml', headers: Record<string, string> = auth('engineer')) =>
    app.inject({ method: 'POST', url: '/v1/registry/validate', headers: { ...headers, 'content-type': type }, payload });

  it('a valid registry: valid with its agent count, for every YAML type and JSON', async () => {
    for (const type of ['application/yaml', 'text/yaml', 'application/x-yaml', 'application/yaml; charset=utf-8']) {
      const r = await validate(REGISTRY_TEXT, type);
      expect(r.statusCode, type).toBe(200);
      expect(r.json(), type).toEqual({ valid: true, agent_count: 1, errors: [] });
    }
    const json = JSON.stringify({ agents: [{ id: 'a', name: 'A', owner: 'bob@corp.example', status: 'active', purpose: 'p', registered_at: '2026-01-01' }] });
    expect((await validate(json, 'application/json')).json()).toEqual({ valid: true, agent_count: 1, errors: [] });
  });

  it('an invalid registry: 200 valid:false with every problem as the loader reports it, paths included; nothing is loaded', async () => {
    const bad = `agents:
  - { id: a, name: A, owner: bob@corp.example, status: active, purpose: p, registered_at: 2026-01-01, scope: { tools: ["erp.***"] } }
  - { id: a, name: B, owner: bob@corp.example, status: active, purpose: p, registered_at: 2026-01-02 }
`;
    const r = await validate(bad);
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.valid).toBe(false);
    const loader = parseRegistry(bad, 'x');
    expect(loader.ok).toBe(false);
    if (!loader.ok) expect(body.errors).toEqual(loader.problems.map(({ path, message }) => ({ path, message })));
    expect(body.errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(['agents[1].id', 'agents[0].scope.tools[0]']));
    const shape = await validate('agents:\n  - { id: b, name: B }\n');
    expect(shape.json().valid).toBe(false);
    expect(shape.json().errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(['agents[0].owner', 'agents[0].purpose']));
    // the registry in force is untouched
    expect((await app.inject({ method: 'GET', url: '/v1/registry', headers: auth('viewer') })).json().version).toEqual(version);
  });

  it('a YAML alias bomb is refused as a problem at once, not expanded', async () => {
    const lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 12; i++)
      lines.push(
        `a${i}: &a${i} [${Array(9)
          .fill(`*a${i - 1}`)
          .join(',')}]`,
      );
    lines.push('agents: []');
    const r = await validate(lines.join('\n'));
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({
      valid: false,
      agent_count: 0,
      errors: [{ path: '(document)', message: 'refused: too many YAML aliases (at most 100 expansions)' }],
    });
  });

  it('400 when the body is not YAML/JSON at all, empty, or not UTF-8; 415 other types; 413 beyond the limit', async () => {
    const syntax = await validate('agents: [\n  - {', 'application/yaml');
    expect(syntax.statusCode).toBe(400);
    expect(syntax.json().error.message).toMatch(/^the body is not YAML: not valid YAML\/JSON/);
    expect(syntax.json().error.details[0]).toMatchObject({ path: expect.stringMatching(/^line \d+/) });
    const notJson = await validate('agents: []', 'application/json');
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().error.message).toMatch(/not JSON/);
    expect((await validate('', 'application/yaml')).statusCode).toBe(400);
    const latin1 = await validate(Buffer.from([0x61, 0x67, 0xe9, 0x3a, 0x20, 0x31]), 'application/yaml');
    expect(latin1.statusCode).toBe(400);
    expect(latin1.json().error.message).toMatch(/not UTF-8/);
    const csv = await validate('id,name', 'text/csv');
    expect(csv.statusCode).toBe(415);
    const big = await validate(`${REGISTRY_TEXT}# ${'x'.repeat(REGISTRY_VALIDATE_BODY_LIMIT)}\n`);
    expect(big.statusCode).toBe(413);
  });
});
