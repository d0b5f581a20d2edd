import { parseEvent } from '@agentwatch/schemas';
import { describe, expect, it } from 'vitest';
import { createOktaAdapter, detectOkta } from '../src/okta/index.ts';
import { clone, grantEvent, mulberry32, mutate, sampleEvents } from './okta-fixtures.ts';

const skip = (skipReason: string) => ({ events: [], rejects: [], skipped: 1, skipReason });

describe('okta adapter: the real sample (elastic/integrations test-okta-system-events.log)', () => {
  const events = sampleEvents();

  it('has the 5 LogEvents the samples README describes', () => {
    expect(events.map((e) => e['eventType'])).toEqual([
      'user.session.end',
      'user.session.start',
      'policy.evaluate_sign_on',
      'group.user_membership.add',
      'app.user_management',
    ]);
  });

  it('skips every one with a reason: people signing in, an ALLOW sign-on evaluation, membership changes', () => {
    expect(events.map((e) => createOktaAdapter().map(e))).toEqual([
      skip('user.session.end: not a token grant or policy decision'),
      skip('user.session.start: not a token grant or policy decision'),
      skip('policy.evaluate_sign_on ALLOW: only policy denials are mapped (mapPolicyAllows: false)'),
      skip('group.user_membership.add: not a token grant or policy decision'),
      skip('app.user_management: not a token grant or policy decision'),
    ]);
  });

  it('with mapPolicyAllows, the ALLOW evaluation is still skipped: it is about a person, with no OAuth client', () => {
    expect(createOktaAdapter({ mapPolicyAllows: true }).map(events[2])).toEqual(
      skip('policy.evaluate_sign_on ALLOW: a decision about a person with no OAuth client in the event, not agent activity'),
    );
  });

  it('the sign-on evaluation turned into a DENY for a person is skipped; with an OAuth client in it, it is a deny for that client', () => {
    const deny = clone(events[2] as Record<string, unknown>);
    deny['outcome'] = { result: 'DENY', reason: 'Sign-on policy evaluation resulted in DENY' };
    expect(createOktaAdapter().map(deny)).toEqual(
      skip('policy.evaluate_sign_on DENY: a decision about a person with no OAuth client in the event, not agent activity'),
    );
    (deny['client'] as Record<string, unknown>)['id'] = '0oa1invoicebot000001';
    const r = createOktaAdapter().map(deny);
    expect(r.rejects).toEqual([]);
    const { attributes, ...fields } = r.events[0] as Record<string, unknown>;
    expect(fields).toEqual({
      kind: 'policy_decision',
      event_id: 'okta:3af594f9-4f67-11ea-abd3-1f5d113f2546',
      time: '2020-02-14T20:18:57.762Z',
      agent_id: '0oa1invoicebot000001',
      source: 'okta',
      source_ip: '175.16.199.1',
      on_behalf_of: 'xxxxxx@elastic.co',
      decision: 'deny',
      policy: 'Default Policy / Default Rule',
    });
    expect(attributes).toMatchObject({
      'okta.event_type': 'policy.evaluate_sign_on',
      'okta.outcome.result': 'DENY',
      'okta.outcome.reason': 'Sign-on policy evaluation resulted in DENY',
      'okta.policy.type': 'OktaSignOn',
      'okta.actor.type': 'User',
      'okta.client.id': '0oa1invoicebot000001',
      'okta.transaction.id': 'XkcAsWb8WjwDP76xh@1v8wAABp0',
      'agentwatch.agent_id_from': 'client.id',
    });
  });
});

describe('okta adapter: token grants', () => {
  const grant = grantEvent({ uuid: 'g-1', published: '2026-11-02T09:00:00.000Z', clientId: '0oa1invoicebot000001', scopes: 'invoices.read, invoices.write' });

  it('a client_credentials access token grant -> token_issued to the client', () => {
    expect(createOktaAdapter().map(grant)).toEqual({
      events: [
        {
          kind: 'token_issued',
          event_id: 'okta:g-1',
          time: '2026-11-02T09:00:00.000Z',
          agent_id: '0oa1invoicebot000001',
          source: 'okta',
          source_ip: '198.51.100.7',
          token_id: 'AT.g-1',
          issuer: 'okta:oauth2/aus1agents0000000001',
          scopes: ['invoices.read', 'invoices.write'],
          expires_at: '2026-11-02T10:00:00.000Z',
          grant_type: 'client_credentials',
          attributes: {
            'okta.event_type': 'app.oauth2.as.token.grant.access_token',
            'okta.legacy_event_type': 'app.oauth2.as.token.grant.access_token_success',
            'okta.display_message': 'OAuth2 access token is granted',
            'okta.severity': 'INFO',
            'okta.outcome.result': 'SUCCESS',
            'okta.actor.id': '0oa1invoicebot000001',
            'okta.actor.type': 'PublicClientApp',
            'okta.actor.alternate_id': '0oa1invoicebot000001',
            'okta.actor.display_name': '0oa1invoicebot000001 service app',
            'okta.client.id': '0oa1invoicebot000001',
            'okta.client.zone': 'null',
            'okta.client.user_agent': 'python-httpx/0.27.0',
            'okta.transaction.id': 'tx-g-1',
            'okta.transaction.type': 'WEB',
            'okta.session.external_id': 'unknown',
            'okta.debug.requestUri': '/oauth2/aus1agents0000000001/v1/token',
            'okta.debug.grantType': 'client_credentials',
            'okta.debug.clientAuthType': 'private_key_jwt',
            'okta.debug.requestedScopes': 'invoices.read, invoices.write',
            'okta.debug.grantedScopes': 'invoices.read, invoices.write',
            'okta.debug.requestId': 'req-g-1',
            'okta.token.type': 'access_token',
            'okta.token.subject': '0oa1invoicebot000001',
            'okta.token.hash': 'aGFzaC1vZi10aGUtdG9rZW4',
            'okta.authorization_server.id': 'aus1agents0000000001',
            'okta.authorization_server.name': 'Agents API',
            'agentwatch.agent_id_from': 'client.id',
            'agentwatch.token_id_from': 'target',
            'agentwatch.scopes_from': 'granted',
            'agentwatch.expires_at_from': 'token',
          },
        },
      ],
      rejects: [],
      skipped: 0,
    });
  });

  it('agent id: configurable precedence and prefix; actor paths are not used for a person', () => {
    const g = clone(grant);
    (g['debugContext'] as { debugData: Record<string, unknown> }).debugData['clientId'] = '0oa1fromdebugdata001';
    expect(createOktaAdapter().map(g).events[0]?.agent_id).toBe('0oa1fromdebugdata001');
    expect(createOktaAdapter({ agentIdPaths: ['actor.displayName'], agentIdPrefix: 'okta:' }).map(g).events[0]?.agent_id).toBe(
      'okta:0oa1invoicebot000001 service app',
    );
    // Authorization code flow: the user is the actor, the client is in client.id; the user becomes on_behalf_of.
    const userGrant = clone(grant);
    userGrant['actor'] = { id: '00u1alice', type: 'User', alternateId: 'alice@corp.example', displayName: 'Alice' };
    (userGrant['debugContext'] as { debugData: Record<string, unknown> }).debugData['grantType'] = 'authorization_code';
    expect(createOktaAdapter({ agentIdPaths: ['actor.alternateId', 'client.id'] }).map(userGrant).events[0]).toMatchObject({
      agent_id: '0oa1invoicebot000001',
      on_behalf_of: 'alice@corp.example',
      grant_type: 'authorization_code',
    });
    (userGrant['client'] as Record<string, unknown>)['id'] = null;
    expect(createOktaAdapter({ agentIdPaths: ['actor.alternateId', 'client.id'] }).map(userGrant).rejects).toEqual([
      {
        reason:
          'no agent id: none of actor.alternateId, client.id is a non-empty string (the actor is a person, actor.type User, so actor.* paths are not used)',
      },
    ]);
  });

  it('a user target on an app grant (a refresh of a user-delegated token) is the principal', () => {
    const g = clone(grant);
    (g['target'] as unknown[]).unshift({ id: '00u1alice', type: 'User', alternateId: 'alice@corp.example', displayName: 'Alice', detailEntry: null });
    expect(createOktaAdapter().map(g).events[0]?.on_behalf_of).toBe('alice@corp.example');
  });

  it('token id: the access token target, else debugData, else the event uuid', () => {
    const viaDebug = grantEvent({ uuid: 'g-2', published: '2026-11-02T09:00:00Z', clientId: 'c', tokenId: null });
    (viaDebug['debugContext'] as { debugData: Record<string, unknown> }).debugData['jti'] = 'AT.jti-from-debug';
    expect(createOktaAdapter().map(viaDebug).events[0]).toMatchObject({ token_id: 'AT.jti-from-debug' });
    const none = grantEvent({ uuid: 'g-3', published: '2026-11-02T09:00:00Z', clientId: 'c', tokenId: null });
    const e = createOktaAdapter().map(none).events[0];
    expect(e).toMatchObject({ token_id: 'g-3', event_id: 'okta:g-3' });
    expect(e?.attributes?.['agentwatch.token_id_from']).toBe('uuid');
    // Okta also writes the target type as AccessToken.
    const camel = clone(grant);
    (camel['target'] as Record<string, unknown>[])[0] = { ...(camel['target'] as Record<string, unknown>[])[0], type: 'AccessToken', id: 'AT.camel' };
    expect(createOktaAdapter().map(camel).events[0]).toMatchObject({ token_id: 'AT.camel' });
  });

  it('scopes: granted (string or array, space or comma separated), else requested', () => {
    const scopesOf = (dbg: Record<string, unknown>, detail?: Record<string, unknown>) => {
      const g = grantEvent({ uuid: 's', published: '2026-11-02T09:00:00Z', clientId: 'c' });
      (g['debugContext'] as { debugData: Record<string, unknown> }).debugData = dbg;
      if (detail) Object.assign((g['target'] as { detailEntry: Record<string, unknown> }[])[0]?.detailEntry ?? {}, detail);
      const e = createOktaAdapter().map(g).events[0];
      return [e?.kind === 'token_issued' ? e.scopes : undefined, e?.attributes?.['agentwatch.scopes_from']];
    };
    expect(scopesOf({ grantedScopes: 'a.read b.write  a.read' })).toEqual([['a.read', 'b.write'], 'granted']);
    expect(scopesOf({ grantedScopes: ['a.read', 7, 'okta.users.read'] })).toEqual([['a.read', 'okta.users.read'], 'granted']);
    expect(scopesOf({ grantedScopes: 'x' }, { scopes: ['from.target'] })).toEqual([['from.target'], 'granted']);
    expect(scopesOf({ requestedScopes: 'asked.for' })).toEqual([['asked.for'], 'requested']);
    expect(scopesOf({})).toEqual([[], 'none']);
  });

  it('expiry: the token target, else published + defaultTokenTtl', () => {
    const noExpiry = clone(grant);
    const target = noExpiry['target'] as { detailEntry: Record<string, unknown> }[];
    delete target[0]?.detailEntry['expires'];
    const e = createOktaAdapter().map(noExpiry).events[0];
    expect(e).toMatchObject({ expires_at: '2026-11-02T10:00:00.000Z' });
    expect(e?.attributes?.['agentwatch.expires_at_from']).toBe('defaultTokenTtl');
    expect(createOktaAdapter({ defaultTokenTtl: '15m' }).map(noExpiry).events[0]).toMatchObject({ expires_at: '2026-11-02T09:15:00.000Z' });
    expect(() => createOktaAdapter({ defaultTokenTtl: 'soon' })).toThrow();
  });

  it('issuer: the custom authorization server, the org server, or debugData.issuer', () => {
    expect(createOktaAdapter({ orgUrl: 'https://corp.okta.com/' }).map(grant).events[0]).toMatchObject({
      issuer: 'https://corp.okta.com/oauth2/aus1agents0000000001',
    });
    const org = grantEvent({ uuid: 'o', published: '2026-11-02T09:00:00Z', clientId: 'c', eventType: 'app.oauth2.token.grant.access_token', serverId: null });
    expect(createOktaAdapter().map(org).events[0]).toMatchObject({ issuer: 'okta' });
    expect(createOktaAdapter({ orgUrl: 'https://corp.okta.com' }).map(org).events[0]).toMatchObject({ issuer: 'https://corp.okta.com' });
    (org['debugContext'] as { debugData: Record<string, unknown> }).debugData['issuer'] = 'https://corp.okta.com/oauth2/default';
    expect(createOktaAdapter().map(org).events[0]).toMatchObject({ issuer: 'https://corp.okta.com/oauth2/default' });
  });

  it('ID and refresh token grants are skipped unless listed in issuedTokenTypes', () => {
    const idToken = grantEvent({ uuid: 'i', published: '2026-11-02T09:00:00Z', clientId: 'c', eventType: 'app.oauth2.as.token.grant.id_token' });
    expect(createOktaAdapter().map(idToken)).toEqual(
      skip('app.oauth2.as.token.grant.id_token: grants a id_token, not an API credential tracked here (issuedTokenTypes)'),
    );
    const refresh = grantEvent({
      uuid: 'r',
      published: '2026-11-02T09:00:00Z',
      clientId: 'c',
      eventType: 'app.oauth2.token.grant.refresh_token',
      tokenId: null,
    });
    expect(createOktaAdapter().map(refresh).skipped).toBe(1);
    expect(createOktaAdapter({ issuedTokenTypes: ['access_token', 'refresh_token'] }).map(refresh).events[0]).toMatchObject({
      kind: 'token_issued',
      token_id: 'r',
    });
  });

  it('a refused grant (FAILURE or DENY) -> policy_decision deny for the client', () => {
    const refused = grantEvent({
      uuid: 'd-1',
      published: '2026-11-02T09:00:00Z',
      clientId: '0oa1invoicebot000001',
      result: 'FAILURE',
      reason: 'no_matching_policy',
      scopes: 'payments.transfer',
    });
    const r = createOktaAdapter().map(refused);
    expect(r.rejects).toEqual([]);
    const { attributes, ...fields } = r.events[0] as Record<string, unknown>;
    expect(fields).toEqual({
      kind: 'policy_decision',
      event_id: 'okta:d-1',
      time: '2026-11-02T09:00:00.000Z',
      agent_id: '0oa1invoicebot000001',
      source: 'okta',
      source_ip: '198.51.100.7',
      decision: 'deny',
    });
    expect(attributes).toMatchObject({
      'okta.event_type': 'app.oauth2.as.token.grant',
      'okta.outcome.result': 'FAILURE',
      'okta.outcome.reason': 'no_matching_policy',
      'okta.debug.requestedScopes': 'payments.transfer',
      'okta.authorization_server.id': 'aus1agents0000000001',
    });
    const denied = grantEvent({
      uuid: 'd-2',
      published: '2026-11-02T09:00:00Z',
      clientId: 'c',
      result: 'DENY',
      eventType: 'app.oauth2.as.token.grant.access_token',
    });
    expect(createOktaAdapter().map(denied).events[0]).toMatchObject({ kind: 'policy_decision', decision: 'deny' });
  });

  it('unmapped outcomes of a grant are rejected naming the field', () => {
    const g = clone(grant);
    g['outcome'] = { result: 'CHALLENGE' };
    expect(createOktaAdapter().map(g).rejects).toEqual([
      { reason: 'outcome.result: expected SUCCESS, FAILURE, ALLOW or DENY on a token grant, got "CHALLENGE"' },
    ]);
    delete g['outcome'];
    expect(createOktaAdapter().map(g).rejects).toEqual([{ reason: 'outcome.result: expected SUCCESS, FAILURE, ALLOW or DENY on a token grant, got nothing' }]);
  });

  it('environment option; debugData secrets are never copied', () => {
    const g = clone(grant);
    (g['debugContext'] as { debugData: Record<string, unknown> }).debugData['clientSecret'] = 'do-not-copy';
    const r = createOktaAdapter({ environment: 'prod' }).map(g);
    expect(r.events[0]?.environment).toBe('prod');
    expect(JSON.stringify(r)).not.toContain('do-not-copy');
  });
});

describe('okta adapter: framing, detection and hostile input', () => {
  const grant = grantEvent({ uuid: 'g-1', published: '2026-11-02T09:00:00.000Z', clientId: 'c' });

  it('maps an event hook delivery, with the entry path on rejects', () => {
    const hook = {
      eventType: 'com.okta.event_hook',
      eventTypeVersion: '1.0',
      cloudEventsVersion: '0.1',
      data: { events: [grant, { uuid: 7 }, sampleEvents()[0]] },
    };
    const r = createOktaAdapter().map(hook);
    expect(r.events.map((e) => e.event_id)).toEqual(['okta:g-1']);
    expect(r.rejects).toEqual([{ reason: 'uuid: expected a non-empty string, got 7', path: 'data.events[1]' }]);
    expect(r).toMatchObject({ skipped: 1, skipReason: 'user.session.end: not a token grant or policy decision' });
  });

  it('detects LogEvents and event hook deliveries, and nothing else', () => {
    for (const e of sampleEvents()) expect(detectOkta(e)).toBe(true);
    expect(detectOkta(grant)).toBe(true);
    expect(detectOkta({ eventType: 'com.okta.event_hook', data: { events: [] } })).toBe(true);
    for (const other of [
      null,
      7,
      [grant],
      { kind: 'token_issued', event_id: 'e', uuid: 'u', published: 'p', eventType: 't', actor: {} },
      { eventID: 'e', eventTime: '2024-08-02T08:30:00Z', eventSource: 'sts.amazonaws.com', eventName: 'AssumeRole', eventType: 'AwsApiCall', userIdentity: {} },
      { decision_id: 'd', result: true, timestamp: '2026-01-01T00:00:00Z' },
      { uuid: 'u', eventType: 'x', published: '2026-01-01T00:00:00Z' },
    ]) {
      expect(detectOkta(other)).toBe(false);
    }
  });

  it('non-objects and broken envelopes are rejected naming the field', () => {
    for (const [value, got] of [
      [null, 'null'],
      ['x', '"x"'],
      [[], 'an array'],
      [3, '3'],
    ] as const) {
      expect(createOktaAdapter().map(value).rejects).toEqual([{ reason: `record: expected an Okta LogEvent object, got ${got}` }]);
    }
    expect(createOktaAdapter().map({ ...clone(grant), uuid: '' }).rejects).toEqual([{ reason: 'uuid: expected a non-empty string, got ""' }]);
    expect(createOktaAdapter().map({ ...clone(grant), published: 'Feb 14 2020' }).rejects).toEqual([
      { reason: 'published: expected an ISO-8601 time with zone, got "Feb 14 2020"' },
    ]);
    expect(createOktaAdapter().map({ ...clone(grant), published: '2020-02-14T22:18:51' }).rejects[0]?.reason).toMatch(/^published:/);
    expect(createOktaAdapter().map({ ...clone(grant), eventType: 42 }).rejects).toEqual([
      { reason: 'eventType: expected an event type such as "app.oauth2.as.token.grant.access_token", got 42' },
    ]);
  });

  it('huge and deeply nested values are bounded and harmless', () => {
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let i = 0; i < 100_000; i++) {
      const next = {};
      deep['a'] = next;
      deep = next;
    }
    const g: Record<string, unknown> = {
      ...clone(grant),
      uuid: 'u'.repeat(100_000),
      displayMessage: 'm'.repeat(1_000_000),
      securityContext: root,
      request: root,
    };
    (g['debugContext'] as { debugData: Record<string, unknown> }).debugData['grantedScopes'] = Array.from({ length: 5000 }, (_, i) => `s${i}`).join(' ');
    const r = createOktaAdapter().map(g);
    expect(r.rejects).toEqual([]);
    const e = r.events[0];
    expect(e?.event_id).toMatch(/^okta:sha256:/);
    expect(e?.kind === 'token_issued' && e.scopes.length).toBe(100);
    expect(e?.attributes?.['okta.display_message']?.length).toBeLessThan(1100);
    const longClient = grantEvent({ uuid: 'l', published: '2026-11-02T09:00:00Z', clientId: 'c'.repeat(300) });
    expect(createOktaAdapter().map(longClient).rejects[0]?.reason).toMatch(/^mapped event is not canonical: .*agent_id/);
  });

  it('a record whose getters throw becomes a reject, not an exception', () => {
    const trap = new Proxy(clone(grant), {
      get(target, key) {
        if (key === 'actor') throw new Error('boom');
        return Reflect.get(target, key);
      },
    });
    expect(createOktaAdapter().map(trap)).toEqual({ events: [], rejects: [{ reason: 'record could not be mapped: boom' }], skipped: 0 });
  });

  it('a small fuzz loop: mutated samples and grants never throw and every event is canonical', () => {
    const rand = mulberry32(11);
    const deny = clone(sampleEvents()[2] as Record<string, unknown>);
    deny['outcome'] = { result: 'DENY' };
    (deny['client'] as Record<string, unknown>)['id'] = 'client-1';
    const seeds = [
      ...sampleEvents(),
      deny,
      grant,
      grantEvent({ uuid: 'f', published: '2026-11-02T09:00:00Z', clientId: 'c', result: 'FAILURE', reason: 'invalid_scope' }),
      grantEvent({
        uuid: 'o',
        published: '2026-11-02T09:00:00Z',
        clientId: 'c',
        eventType: 'app.oauth2.token.grant.access_token',
        serverId: null,
        tokenId: null,
      }),
    ];
    const adapters = [
      createOktaAdapter(),
      createOktaAdapter({ mapPolicyAllows: true, agentIdPaths: ['actor.id'], issuedTokenTypes: ['access_token', 'id_token'] }),
    ];
    let events = 0;
    for (let i = 0; i < 3000; i++) {
      const record = mutate(clone(seeds[i % seeds.length]), rand);
      const r = (adapters[i % 2] as (typeof adapters)[number]).map(record);
      for (const e of r.events) expect(parseEvent(e).ok).toBe(true);
      for (const j of r.rejects) expect(j.reason.length).toBeGreaterThan(0);
      if (r.skipped > 0) expect(r.skipReason?.length).toBeGreaterThan(0);
      events += r.events.length;
    }
    expect(events).toBeGreaterThan(500);
  });
});
