import { parseEvent } from '@agentwatch/schemas';
import { describe, expect, it } from 'vitest';
import { createVaultAdapter, DEFAULT_PATH_ACTIONS, NO_EXPIRY, parseVaultOptions } from '../src/vault/index.ts';
import { accessorOf, approleLogin, authBlock, byKind, type CallSpec, call, clientTokenOf, runAdapter, sampleLines, type TokenSpec } from './vault-fixtures.ts';

const HELD = 'request entry: held until its response entry, which carries the outcome (mapped at flush if it never comes)';
const OIDC_ACCESSOR = 'hmac-sha256:eb605bd7f8a5ceb951b9ab42cae6d6c3f12f203cb2c2a78e33e899f77dceb931';
const NOMAD_ACCESSOR = 'hmac-sha256:8fa4f7f3d1fd812064950025cde2b1565829a9dc5075253399e5ede8f8a1d98e';

describe('vault adapter: the real sample (elastic/integrations test-audit.log)', () => {
  const lines = sampleLines();

  it('has the 7 lines the samples README describes', () => {
    expect(lines.map((l) => l['type'])).toEqual(['request', 'response', 'request', 'response', 'request', 'response', 'request']);
  });

  it('maps every line: responses become events, requests are held, the unauthenticated denial is rejected with a reason', () => {
    const { each, flushed } = runAdapter(createVaultAdapter(), lines);
    for (const i of [0, 2, 4, 6]) expect(each[i]).toEqual({ events: [], rejects: [], skipped: 1, skipReason: HELD });

    // Line 2: OIDC token asks for its own capabilities (an update on the wire, a lookup in meaning).
    expect(each[1]).toEqual({
      events: [
        {
          kind: 'tool_call',
          event_id: 'vault:cd09708b-11cc-2985-648b-cfe262cf7e50:call',
          time: '2020-12-01T20:29:04.360Z',
          agent_id: 'oidc-12349999999999999999',
          source: 'vault',
          source_ip: '67.43.156.13',
          tool: 'vault.system.update',
          action: 'read',
          resource: 'vault://sys/capabilities-self',
          outcome: 'success',
          token_id: OIDC_ACCESSOR,
          attributes: {
            'vault.entry_type': 'response',
            'vault.request_id': 'cd09708b-11cc-2985-648b-cfe262cf7e50',
            'vault.operation': 'update',
            'vault.path': 'sys/capabilities-self',
            'vault.mount_type': 'system',
            'vault.namespace': 'root',
            'vault.display_name': 'oidc-12349999999999999999',
            'vault.entity_id': 'e4f5c67a-6f7e-789d-ae56-a1fe3ae23046',
            'vault.token_type': 'service',
            'vault.token_ttl': '3600',
            'vault.token_issue_time': '2020-12-01T20:28:40Z',
            'vault.policies': 'default,group-admin',
            'vault.metadata.account_id': '12349999999999999999',
            'vault.metadata.email': 'example@gmail.com',
            'vault.metadata.role': 'gmail',
          },
        },
      ],
      rejects: [],
      skipped: 0,
    });

    // Line 4: permission denied for a token Vault could not resolve (no accessor, no identity).
    expect(each[3]?.events).toEqual([]);
    expect(each[3]?.rejects).toEqual([
      {
        reason:
          'auth: no token accessor and no agent identity (looked at metadata.role_name, metadata.service_account_name, display_name, entity_id) for update on "internal-ca/issue/internal-server" (error "1 error occurred:\\n\\t* permission denied\\n\\n"); set unauthenticatedAgentId to map these',
      },
    ]);

    // Line 6: the Nomad-issued token reads a kv v2 secret.
    expect(each[5]?.events).toHaveLength(1);
    expect(each[5]?.events[0]).toMatchObject({
      kind: 'tool_call',
      event_id: 'vault:0042ad1b-1400-7eb7-5e25-1dfc898c1998:call',
      time: '2021-06-29T17:26:11.409Z',
      agent_id: 'token-375f9cb3-4355-42c7-eab5-029f8a310ca7-runner',
      source_ip: '10.6.8.36',
      tool: 'vault.kv.read',
      action: 'read',
      resource: 'vault://secret/data/apps/continuous-delivery/aws-bucket-sse-c',
      outcome: 'success',
      token_id: NOMAD_ACCESSOR,
    });
    expect(each[5]?.events[0]?.attributes).toMatchObject({
      'vault.metadata.AllocationID': '375f9cb3-4355-42c7-eab5-029f8a310ca7',
      'vault.metadata.Task': 'runner',
      'vault.token_ttl': '259200',
      'vault.policies': 'app-continuous-delivery,app-github-runner,default',
    });
    // Empty metadata values (Namespace "") are not attributes.
    expect(each[5]?.events[0]?.attributes).not.toHaveProperty('vault.metadata.Namespace');

    // Line 7: the `help` request has no response in the sample and no request.id: mapped at flush, id from its content.
    expect(flushed.rejects).toEqual([]);
    expect(flushed.events).toHaveLength(1);
    const help = flushed.events[0]!;
    expect(help).toMatchObject({
      kind: 'tool_call',
      time: '2021-12-30T17:11:12.468Z',
      agent_id: 'oidc-12349999999999999999',
      tool: 'vault.pki.help',
      action: 'read',
      resource: 'vault://ca/roles/example',
      outcome: 'success',
      token_id: 'hmac-sha256:b31666f6a411cf7f9a950833e71035a863a1bb3ab536318529057e3f95787ac4',
      source_ip: '10.6.8.34',
    });
    expect(help.event_id).toMatch(/^vault:h-[0-9a-f]{32}:call$/);
    expect(help.attributes?.['vault.response']).toBe('missing: outcome taken from the request entry');
  });

  it('gives the same event ids when the same lines are ingested again (also the content-hashed help request)', () => {
    const ids = (): string[] => runAdapter(createVaultAdapter({ unauthenticatedAgentId: 'vault:anonymous' }), lines).all.events.map((e) => e.event_id);
    const first = ids();
    expect(first).toHaveLength(4);
    expect(ids()).toEqual(first);
    // Key order and whitespace do not change the hash of an id-less entry.
    const reordered = Object.fromEntries(Object.entries(lines[6]!).reverse());
    const a = runAdapter(createVaultAdapter(), [lines[6]]).all.events[0]?.event_id;
    const b = runAdapter(createVaultAdapter(), [reordered]).all.events[0]?.event_id;
    expect(a).toBe(b);
  });

  it('maps the unauthenticated denial to a policy_decision deny when a fallback agent is configured', () => {
    const { each } = runAdapter(createVaultAdapter({ unauthenticatedAgentId: 'vault:anonymous' }), lines);
    expect(each[3]?.rejects).toEqual([]);
    expect(each[3]?.events).toHaveLength(1);
    const deny = each[3]?.events[0];
    expect(deny).toMatchObject({
      kind: 'policy_decision',
      event_id: 'vault:24ac580b-805a-d9ee-4d0d-7046932f4e05:deny',
      time: '2021-07-19T17:19:00.674Z',
      agent_id: 'vault:anonymous',
      source: 'vault',
      source_ip: '10.6.8.34',
      decision: 'deny',
      policy: 'vault',
      tool: 'vault.pki.update',
      resource: 'vault://internal-ca/issue/internal-server',
      action: 'write',
    });
    expect(deny?.kind === 'policy_decision' && deny.token_id).toBeUndefined();
    expect(deny?.attributes).toMatchObject({
      'vault.unauthenticated': 'true',
      'vault.error': '1 error occurred:\n\t* permission denied\n\n',
      'vault.token_type': 'default',
    });
  });

  it('deniedAs chooses policy_decision, tool_call (outcome denied) or both', () => {
    const kinds = (deniedAs: 'policy_decision' | 'tool_call' | 'both') =>
      runAdapter(createVaultAdapter({ unauthenticatedAgentId: 'anon', deniedAs }), [lines[3]]).all.events.map((e) => [
        e.kind,
        e.kind === 'tool_call' ? e.outcome : '',
      ]);
    expect(kinds('policy_decision')).toEqual([['policy_decision', '']]);
    expect(kinds('tool_call')).toEqual([['tool_call', 'denied']]);
    expect(kinds('both')).toEqual([
      ['policy_decision', ''],
      ['tool_call', 'denied'],
    ]);
  });

  it('unansweredRequests: skip drops request entries with a reason, even the unanswered help request', () => {
    const { all, each } = runAdapter(createVaultAdapter({ unansweredRequests: 'skip' }), lines);
    expect(each[6]).toEqual({ events: [], rejects: [], skipped: 1, skipReason: 'request entry: mapped from its response entry, which carries the outcome' });
    expect(all.events.map((e) => e.event_id)).toEqual(['vault:cd09708b-11cc-2985-648b-cfe262cf7e50:call', 'vault:0042ad1b-1400-7eb7-5e25-1dfc898c1998:call']);
    expect(all.skipped).toBe(4);
  });

  it('every event it emits is canonical', () => {
    for (const options of [{}, { unauthenticatedAgentId: 'anon', deniedAs: 'both' as const }]) {
      for (const e of runAdapter(createVaultAdapter(options), lines).all.events) expect(parseEvent(e).ok).toBe(true);
    }
  });
});

const bot: TokenSpec = { name: 'invoice', roleName: 'invoice-bot', ttl: 3600 };
const admin: TokenSpec = { name: 'admin', roleName: 'ops-admin', policies: ['default', 'admin'] };

describe('vault adapter: token issuance', () => {
  it('an AppRole login becomes token_issued (and no tool_call: the login is the issuance)', () => {
    const { all } = runAdapter(createVaultAdapter({ agentIdPrefix: 'spiffe://corp.example/agents/' }), [
      approleLogin('req-1', '2026-11-02T09:00:00.123456789Z', bot),
    ]);
    expect(all.rejects).toEqual([]);
    expect(all.events).toHaveLength(1);
    expect(all.events[0]).toEqual({
      kind: 'token_issued',
      event_id: 'vault:req-1:issued',
      time: '2026-11-02T09:00:00.123Z',
      agent_id: 'spiffe://corp.example/agents/invoice-bot',
      source: 'vault',
      source_ip: '10.20.0.7',
      token_id: accessorOf('invoice'),
      issuer: 'vault/auth/approle',
      scopes: ['default', 'app-invoice-bot'],
      expires_at: '2026-11-02T10:00:00.123Z',
      grant_type: 'vault:approle',
      attributes: {
        'vault.entry_type': 'response',
        'vault.request_id': 'req-1',
        'vault.operation': 'update',
        'vault.path': 'auth/approle/login',
        'vault.mount_type': 'approle',
        'vault.mount_accessor': 'auth_approle_0a1b2c3d',
        'vault.namespace': 'root',
        'vault.remote_port': '51234',
        'vault.display_name': 'approle',
        'vault.entity_id': 'entity-invoice-bot',
        'vault.token_type': 'service',
        'vault.token_ttl': '3600',
        'vault.token_issue_time': '2026-11-02T09:00:00Z',
        'vault.policies': 'default,app-invoice-bot',
        'vault.metadata.role_name': 'invoice-bot',
      },
    });
  });

  it('uses the configured issuer, the namespace and the mount point', () => {
    const login = approleLogin('req-ns', '2026-11-02T09:00:00Z', bot);
    const req = login['request'] as Record<string, unknown>;
    req['namespace'] = { id: 'aBc12', path: 'team-a/' };
    req['mount_point'] = 'auth/agents-approle/';
    req['path'] = 'auth/agents-approle/login';
    const e = runAdapter(createVaultAdapter({ issuer: 'vault-prod' }), [login]).all.events[0];
    expect(e).toMatchObject({ kind: 'token_issued', issuer: 'vault-prod/team-a/auth/agents-approle', grant_type: 'vault:approle' });
    expect(e?.attributes?.['vault.namespace']).toBe('team-a/');
  });

  it('a child token made with auth/token/create names its parent and is also the parent token’s tool_call', () => {
    const child: TokenSpec = { name: 'child', roleName: 'invoice-bot', ttl: 900 };
    const entry = call({ id: 'req-2', time: '2026-11-02T09:05:00Z', token: admin, operation: 'update', path: 'auth/token/create', mountType: 'token' });
    (entry['response'] as Record<string, unknown>)['auth'] = authBlock(child);
    const { all } = runAdapter(createVaultAdapter(), [entry]);
    expect(all.events.map((e) => e.kind)).toEqual(['token_issued', 'tool_call']);
    expect(all.events[0]).toMatchObject({
      agent_id: 'invoice-bot',
      token_id: accessorOf('child'),
      parent_token_id: accessorOf('admin'),
      issuer: 'vault/auth/token',
      grant_type: 'vault:token',
      expires_at: '2026-11-02T09:20:00.000Z',
    });
    expect(all.events[0]?.attributes?.['vault.issued_by']).toBe('ops-admin');
    expect(all.events[1]).toMatchObject({
      agent_id: 'ops-admin',
      tool: 'vault.token.update',
      action: 'write',
      token_id: accessorOf('admin'),
      outcome: 'success',
    });
  });

  it('a renewal re-issues the same token id with its new TTL, without a parent', () => {
    const entry = call({ id: 'req-3', time: '2026-11-02T09:50:00Z', token: bot, operation: 'update', path: 'auth/token/renew-self', mountType: 'token' });
    (entry['response'] as Record<string, unknown>)['auth'] = authBlock({ ...bot, ttl: 1800 });
    const issued = byKind(runAdapter(createVaultAdapter(), [entry]).all.events, 'token_issued');
    expect(issued).toHaveLength(1);
    expect(issued[0]).toMatchObject({ token_id: accessorOf('invoice'), expires_at: '2026-11-02T10:20:00.000Z', agent_id: 'invoice-bot' });
    expect(issued[0]?.parent_token_id).toBeUndefined();
    expect(issued[0]?.attributes?.['vault.renewal']).toBe('true');
  });

  it('a token without a TTL (token_ttl 0 or absent) never expires', () => {
    const login = approleLogin('req-4', '2026-11-02T09:00:00Z', { ...bot, ttl: 0 });
    expect(runAdapter(createVaultAdapter(), [login]).all.events[0]).toMatchObject({ kind: 'token_issued', expires_at: NO_EXPIRY });
  });

  it('a huge TTL is clamped to the latest expressible time', () => {
    const login = approleLogin('req-5', '2026-11-02T09:00:00Z', { ...bot, ttl: 1e300 });
    expect(runAdapter(createVaultAdapter(), [login]).all.events[0]).toMatchObject({ expires_at: NO_EXPIRY });
  });

  it('rejects a TTL that is not a number of seconds, naming the field', () => {
    const login = approleLogin('req-6', '2026-11-02T09:00:00Z', bot);
    ((login['response'] as Record<string, unknown>)['auth'] as Record<string, unknown>)['token_ttl'] = '1h';
    expect(runAdapter(createVaultAdapter(), [login]).all.rejects).toEqual([{ reason: 'response.auth.token_ttl: expected a number of seconds >= 0, got "1h"' }]);
  });

  it('a batch token (no accessor) is identified by its HMAC’d client token, in issuance and use alike', () => {
    const login = approleLogin('req-7', '2026-11-02T09:00:00Z', bot);
    const newAuth = (login['response'] as Record<string, unknown>)['auth'] as Record<string, unknown>;
    delete newAuth['accessor'];
    newAuth['token_type'] = 'batch';
    const use = call({ id: 'req-8', time: '2026-11-02T09:01:00Z', token: bot, path: 'secret/data/x' });
    const useAuth = use['auth'] as Record<string, unknown>;
    delete useAuth['accessor'];
    useAuth['token_type'] = 'batch';
    delete (use['request'] as Record<string, unknown>)['client_token_accessor'];
    const { all } = runAdapter(createVaultAdapter(), [login, use]);
    expect(all.events.map((e) => [e.kind, 'token_id' in e ? e.token_id : undefined])).toEqual([
      ['token_issued', clientTokenOf('invoice')],
      ['tool_call', clientTokenOf('invoice')],
    ]);
  });

  it('rejects an issued token with no identity under the configured precedence', () => {
    const login = approleLogin('req-9', '2026-11-02T09:00:00Z', bot);
    expect(runAdapter(createVaultAdapter({ agentIdPaths: ['metadata.nope'] }), [login]).all.rejects).toEqual([
      { reason: 'response.auth: the issued token has no agent identity (looked at metadata.nope)' },
    ]);
  });
});

describe('vault adapter: agent identity precedence', () => {
  const k8s = (): Record<string, unknown> => {
    const e = call({ id: 'req-k', time: '2026-11-02T09:00:00Z', token: bot, path: 'secret/data/x' });
    (e['auth'] as Record<string, unknown>)['metadata'] = { role: 'agents', service_account_name: 'planner', service_account_namespace: 'ai' };
    return e;
  };

  it('falls through role_name to service_account_name, display_name, entity_id', () => {
    expect(runAdapter(createVaultAdapter(), [k8s()]).all.events[0]?.agent_id).toBe('planner');
    const e = k8s();
    (e['auth'] as Record<string, unknown>)['metadata'] = {};
    expect(runAdapter(createVaultAdapter(), [e]).all.events[0]?.agent_id).toBe('approle');
    delete (e['auth'] as Record<string, unknown>)['display_name'];
    expect(runAdapter(createVaultAdapter(), [e]).all.events[0]?.agent_id).toBe('entity-invoice-bot');
  });

  it('reads `$.` paths from the whole entry, e.g. an audited request header (a list), and applies the prefix', () => {
    const e = call({ id: 'req-h', time: '2026-11-02T09:00:00Z', token: bot, path: 'secret/data/x', headers: { 'x-agent-id': ['research', 'ignored'] } });
    const a = createVaultAdapter({ agentIdPaths: ['$.request.headers.x-agent-id', 'metadata.role_name'], agentIdPrefix: 'agent:' });
    expect(runAdapter(a, [e]).all.events[0]?.agent_id).toBe('agent:research');
  });

  it('quoted keys reach metadata keys that contain dots', () => {
    const e = k8s();
    (e['auth'] as Record<string, unknown>)['metadata'] = { 'agent.id': 'dotted-bot' };
    expect(runAdapter(createVaultAdapter({ agentIdPaths: ['metadata["agent.id"]'] }), [e]).all.events[0]?.agent_id).toBe('dotted-bot');
  });
});

describe('vault adapter: calls, actions and outcomes', () => {
  const one = (c: Partial<CallSpec> & { path: string }, options = {}) =>
    runAdapter(createVaultAdapter(options), [call({ id: 'r', time: '2026-11-02T09:00:00Z', token: bot, ...c })]).all.events[0];

  it.each([
    ['read', 'secret/data/a', 'kv', 'read', 'vault.kv.read'],
    ['list', 'secret/metadata/', 'kv', 'read', 'vault.kv.list'],
    ['create', 'secret/data/a', 'kv', 'write', 'vault.kv.create'],
    ['patch', 'secret/data/a', 'kv', 'write', 'vault.kv.patch'],
    ['delete', 'secret/data/a', 'kv', 'delete', 'vault.kv.delete'],
    ['rollback', 'database/creds/x', 'database', 'other', 'vault.database.rollback'],
    ['update', 'sys/audit/file', 'system', 'admin', 'vault.system.update'],
    ['read', 'sys/audit', 'system', 'admin', 'vault.system.read'],
    ['update', 'sys/policies/acl/agents', 'system', 'admin', 'vault.system.update'],
    ['read', 'sys/policies/acl/agents', 'system', 'read', 'vault.system.read'],
    ['update', 'sys/mounts/kv2', 'system', 'admin', 'vault.system.update'],
    ['update', 'auth/token/create-orphan', 'token', 'admin', 'vault.token.update'],
    ['update', 'auth/token/lookup-self', 'token', 'read', 'vault.token.update'],
    ['update', 'sys/leases/revoke', 'system', 'delete', 'vault.system.update'],
    ['update', 'sys/leases/revoke-prefix/aws/creds', 'system', 'admin', 'vault.system.update'],
  ])('%s %s (mount %s) -> action %s, tool %s', (operation, path, mountType, action, tool) => {
    expect(one({ operation, path, mountType })).toMatchObject({ kind: 'tool_call', action, tool, resource: `vault://${path}` });
  });

  it('falls back to the first path segment for the tool when mount_type is missing, and keeps tool segments dot-free', () => {
    const e = call({ id: 'r', time: '2026-11-02T09:00:00Z', token: bot, path: 'my.kv/data/a' });
    delete (e['request'] as Record<string, unknown>)['mount_type'];
    expect(runAdapter(createVaultAdapter(), [e]).all.events[0]).toMatchObject({ tool: 'vault.my_kv.read', resource: 'vault://my.kv/data/a' });
  });

  it('takes custom path actions and prefixes', () => {
    const options = { pathActions: [{ pattern: 'secret/data/payments/**', action: 'transfer' as const }], toolPrefix: 'hv', resourcePrefix: 'hv:/' };
    expect(one({ path: 'secret/data/payments/run-42' }, options)).toMatchObject({
      action: 'transfer',
      tool: 'hv.kv.read',
      resource: 'hv:/secret/data/payments/run-42',
    });
    expect(parseVaultOptions(options).pathActions[0]?.operations).toEqual([]);
    expect(parseVaultOptions({}).pathActions).toEqual(DEFAULT_PATH_ACTIONS);
  });

  it('an error other than permission denied is a failed call; permission denied is a deny decision on the same target', () => {
    expect(one({ path: 'secret/data/a', error: '1 error occurred:\n\t* unsupported path\n\n' })).toMatchObject({ kind: 'tool_call', outcome: 'failure' });
    expect(one({ path: 'secret/data/finance/q4', error: 'permission denied' })).toMatchObject({
      kind: 'policy_decision',
      event_id: 'vault:r:deny',
      decision: 'deny',
      policy: 'vault',
      tool: 'vault.kv.read',
      resource: 'vault://secret/data/finance/q4',
      action: 'read',
      token_id: accessorOf('invoice'),
      agent_id: 'invoice-bot',
    });
  });

  it('sets environment when configured, and keeps an address that is not an IP as an attribute', () => {
    const e = call({ id: 'r', time: '2026-11-02T09:00:00Z', token: bot, path: 'secret/data/a' });
    (e['request'] as Record<string, unknown>)['remote_address'] = '@/run/vault.sock';
    const ev = runAdapter(createVaultAdapter({ environment: 'prod' }), [e]).all.events[0];
    expect(ev).toMatchObject({ environment: 'prod' });
    expect(ev?.source_ip).toBeUndefined();
    expect(ev?.attributes?.['vault.remote_address']).toBe('@/run/vault.sock');
  });
});

describe('vault adapter: request/response pairing', () => {
  const req = (id: string, extra: Partial<CallSpec> = {}) =>
    call({ id, time: '2026-11-02T09:00:00Z', token: bot, path: 'secret/data/a', type: 'request', ...extra });
  const res = (id: string, extra: Partial<CallSpec> = {}) => call({ id, time: '2026-11-02T09:00:00.010Z', token: bot, path: 'secret/data/a', ...extra });

  it('maps the response and drops the held request: one event per call', () => {
    const { all } = runAdapter(createVaultAdapter(), [req('a'), req('b'), res('b'), res('a')]);
    expect(all.events.map((e) => e.event_id)).toEqual(['vault:b:call', 'vault:a:call']);
    expect(all.events.every((e) => e.attributes?.['vault.entry_type'] === 'response')).toBe(true);
  });

  it('pairs id-less entries (help) by their request and token, so the sample help request plus a response is one event', () => {
    const helpRequest = sampleLines()[6]!;
    const helpResponse = { ...structuredClone(helpRequest), time: '2021-12-30T17:11:12.470Z', type: 'response', response: { mount_type: 'pki', data: {} } };
    const { all, flushed } = runAdapter(createVaultAdapter(), [helpRequest, helpResponse]);
    expect(flushed.events).toEqual([]);
    expect(all.events).toHaveLength(1);
    expect(all.events[0]).toMatchObject({ tool: 'vault.pki.help', time: '2021-12-30T17:11:12.470Z', outcome: 'success' });
    expect(all.events[0]?.event_id).toMatch(/^vault:h-[0-9a-f]{32}:call$/);
  });

  it('a request entry arriving after its response is skipped, not emitted again at flush', () => {
    const { all, each } = runAdapter(createVaultAdapter(), [res('a'), req('a')]);
    expect(each[1]).toEqual({ events: [], rejects: [], skipped: 1, skipReason: 'request entry: its response entry was already mapped' });
    expect(all.events).toHaveLength(1);
  });

  it('an unanswered request that Vault already denied becomes the deny decision at flush', () => {
    const { flushed } = runAdapter(createVaultAdapter(), [req('d', { error: 'permission denied', path: 'secret/data/finance/q4' })]);
    expect(flushed.events).toHaveLength(1);
    expect(flushed.events[0]).toMatchObject({
      kind: 'policy_decision',
      event_id: 'vault:d:deny',
      decision: 'deny',
      resource: 'vault://secret/data/finance/q4',
    });
  });

  it('releases the oldest held request when the pending set is full', () => {
    const a = createVaultAdapter({ maxPendingRequests: 2 });
    expect(a.map(req('1')).events).toEqual([]);
    expect(a.map(req('2')).events).toEqual([]);
    const third = a.map(req('3'));
    expect(third.skipped).toBe(1);
    expect(third.events.map((e) => e.event_id)).toEqual(['vault:1:call']);
    expect(a.flush().events.map((e) => e.event_id)).toEqual(['vault:2:call', 'vault:3:call']);
    expect(a.flush().events).toEqual([]);
  });

  it('skips entry types that are not API requests (KMIP), and rejects unknown shapes', () => {
    const a = createVaultAdapter();
    expect(a.map({ type: 'kmip-request', time: '2026-11-02T09:00:00Z' })).toEqual({
      events: [],
      rejects: [],
      skipped: 1,
      skipReason: 'type "kmip-request": not a Vault API request/response entry',
    });
  });
});

describe('vault adapter: revocations', () => {
  const login = approleLogin('login-1', '2026-11-02T09:00:00Z', bot);
  const at = '2026-11-02T09:10:00Z';

  it('revoke-self revokes the caller’s own token', () => {
    const r = call({ id: 'rv1', time: at, token: bot, operation: 'update', path: 'auth/token/revoke-self', mountType: 'token' });
    const { all } = runAdapter(createVaultAdapter(), [login, r]);
    expect(byKind(all.events, 'token_revoked')).toEqual([
      expect.objectContaining({ event_id: 'vault:rv1:revoked', agent_id: 'invoice-bot', token_id: accessorOf('invoice'), reason: 'auth/token/revoke-self' }),
    ]);
    expect(byKind(all.events, 'tool_call')).toEqual([
      expect.objectContaining({ action: 'delete', tool: 'vault.token.update', token_id: accessorOf('invoice') }),
    ]);
  });

  it('revoke-accessor names the (HMAC’d) accessor in data; the holder comes from the issuance, the revoker is an attribute', () => {
    const r = call({
      id: 'rv2',
      time: at,
      token: admin,
      operation: 'update',
      path: 'auth/token/revoke-accessor',
      mountType: 'token',
      data: { accessor: accessorOf('invoice') },
    });
    const revoked = byKind(runAdapter(createVaultAdapter(), [login, r]).all.events, 'token_revoked');
    expect(revoked).toHaveLength(1);
    expect(revoked[0]).toMatchObject({ agent_id: 'invoice-bot', token_id: accessorOf('invoice'), reason: 'auth/token/revoke-accessor' });
    expect(revoked[0]?.attributes?.['vault.revoked_by']).toBe('ops-admin');
  });

  it('revoke by client token resolves the accessor only for tokens seen before; otherwise the tool_call says why', () => {
    const known = call({
      id: 'rv3',
      time: at,
      token: admin,
      operation: 'update',
      path: 'auth/token/revoke',
      mountType: 'token',
      data: { token: clientTokenOf('invoice') },
    });
    expect(byKind(runAdapter(createVaultAdapter(), [login, known]).all.events, 'token_revoked')[0]).toMatchObject({ token_id: accessorOf('invoice') });

    const unknown = call({
      id: 'rv4',
      time: at,
      token: admin,
      operation: 'update',
      path: 'auth/token/revoke',
      mountType: 'token',
      data: { token: clientTokenOf('ghost') },
    });
    const { all } = runAdapter(createVaultAdapter(), [unknown]);
    expect(byKind(all.events, 'token_revoked')).toEqual([]);
    expect(all.events[0]?.attributes?.['vault.revocation']).toBe('revoke of a token this adapter never saw issued or used');
  });

  it('lease revocations are tool_calls, never token_revoked (a lease is not a token id)', () => {
    const r = call({
      id: 'rv5',
      time: at,
      token: admin,
      operation: 'update',
      path: 'sys/leases/revoke',
      mountType: 'system',
      data: { lease_id: 'hmac-sha256:aa' },
    });
    const { all } = runAdapter(createVaultAdapter(), [r]);
    expect(all.events.map((e) => e.kind)).toEqual(['tool_call']);
    expect(all.events[0]?.attributes?.['vault.revocation']).toBe('lease revocation: names a lease or prefix, not a token');
  });

  it('a failed revocation revokes nothing', () => {
    const r = call({ id: 'rv6', time: at, token: bot, operation: 'update', path: 'auth/token/revoke-self', mountType: 'token', error: 'internal error' });
    expect(runAdapter(createVaultAdapter(), [r]).all.events.map((e) => e.kind)).toEqual(['tool_call']);
  });

  it('a later request with the revoked token, which Vault no longer resolves, is attributed through the remembered token', () => {
    const refused = {
      time: '2026-11-02T09:20:00Z',
      type: 'response',
      auth: { token_type: 'default' },
      request: { id: 'late', operation: 'read', mount_type: 'kv', client_token: clientTokenOf('invoice'), path: 'secret/data/a', remote_address: '10.20.0.7' },
      response: { mount_type: 'kv' },
      error: 'permission denied',
    };
    const events = runAdapter(createVaultAdapter(), [login, refused]).all.events;
    expect(events[1]).toMatchObject({ kind: 'policy_decision', agent_id: 'invoice-bot', token_id: accessorOf('invoice'), decision: 'deny' });
    expect(events[1]?.attributes?.['vault.unauthenticated']).toBeUndefined();
  });
});

describe('vault adapter: options', () => {
  it('rejects unknown or ill-typed options at creation, with every problem', () => {
    expect(() => createVaultAdapter({ issuer: '' })).toThrow(/invalid vault adapter options[\s\S]*issuer/);
    expect(() => createVaultAdapter({ deniedAs: 'maybe' } as never)).toThrow(/deniedAs/);
    expect(() => createVaultAdapter({ nope: 1 } as never)).toThrow(/nope/);
  });

  it('has documented defaults', () => {
    const o = parseVaultOptions();
    expect(o).toMatchObject({
      issuer: 'vault',
      agentIdPaths: ['metadata.role_name', 'metadata.service_account_name', 'display_name', 'entity_id'],
      agentIdPrefix: '',
      unauthenticatedAgentId: '',
      toolPrefix: 'vault',
      resourcePrefix: 'vault://',
      environment: '',
      deniedAs: 'policy_decision',
      unansweredRequests: 'emit',
      maxPendingRequests: 10_000,
      tokenMemory: 50_000,
    });
  });
});
