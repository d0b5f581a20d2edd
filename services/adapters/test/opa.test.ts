import { readFileSync } from 'node:fs';
import { type PolicyDecisionEvent, parseEvent } from '@agentwatch/schemas';
import { describe, expect, it } from 'vitest';
import { detectMcp } from '../src/mcp/index.ts';
import { createOpaAdapter, DEFAULT_AGENT_PATHS, detectOpa } from '../src/opa/index.ts';
import type { AdapterResult } from '../src/types.ts';
import { HOSTILE_VALUES, mulberry32, mutator } from './fuzz.ts';

const SAMPLES = new URL('../../../../shared/samples/opa-decision-logs/', import.meta.url);
const OSM_LINES = readFileSync(new URL('osm_opa-envoy-plugin_decision-logs.jsonl', SAMPLES), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as Record<string, unknown>);
const UPLOAD = JSON.parse(readFileSync(new URL('opa-docs_decision-log-upload-example.json', SAMPLES), 'utf8')) as Record<string, unknown>[];
const [OSM_DENY, OSM_ALLOW] = OSM_LINES as [Record<string, unknown>, Record<string, unknown>];
const [UPLOAD_ALLOW] = UPLOAD as [Record<string, unknown>];

/** OSM's Envoy requests carry no principal: name agents by the `client-app` header, else the source address. */
const OSM_AGENT_PATHS = ['input.attributes.request.http.headers["client-app"]', 'input.attributes.source.address.socketAddress.address'];

const clone = <T>(v: T): T => structuredClone(v);
const only = (r: AdapterResult): PolicyDecisionEvent => {
  expect(r.rejects).toEqual([]);
  expect(r.events).toHaveLength(1);
  const e = r.events[0]!;
  if (e.kind !== 'policy_decision') throw new Error(`expected a policy_decision, got ${e.kind}`);
  return e;
};
const reason = (r: AdapterResult): string => {
  expect(r.events).toEqual([]);
  expect(r.rejects).toHaveLength(1);
  return r.rejects[0]!.reason;
};

/** A minimal upload-API decision with the given overrides. */
function decision(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    decision_id: 'd-1',
    path: 'agents/authz/allow',
    input: { agent_id: 'spiffe://corp.example/agents/invoice-bot', tool: 'erp.invoice.read', action: 'read', resource: 'erp://invoices/1' },
    result: true,
    timestamp: '2026-11-02T09:00:00.123456789Z',
    ...overrides,
  };
}

describe('OPA samples', () => {
  it('the sample files hold what the README says', () => {
    expect(OSM_LINES).toHaveLength(2);
    expect(UPLOAD).toHaveLength(1);
  });

  it('OSM Envoy decisions have no agent identity: rejected by default, naming every path looked at', () => {
    const opa = createOpaAdapter();
    for (const line of OSM_LINES) {
      const why = reason(opa.map(line));
      expect(why).toContain('agent: no agent id at input.agent_id');
      expect(why).toContain('input.attributes.source.principal');
      expect(why).toContain('input.attributes.request.http.headers["x-agent-id"]');
      expect(why).toContain('configure agentPaths or defaultAgent');
    }
  });

  it('OSM deny maps once agents are named by the client-app header', () => {
    const e = only(createOpaAdapter({ agentPaths: OSM_AGENT_PATHS }).map(OSM_DENY));
    expect(e).toEqual({
      kind: 'policy_decision',
      event_id: 'opa:1df154b5-658a-47bf-ac18-be52998605da',
      time: '2021-05-04T01:21:18.197Z',
      agent_id: 'bookbuyer',
      source: 'opa',
      source_ip: '10.244.2.10',
      decision: 'deny',
      policy: 'envoy/authz/allow',
      resource: '/books-bought',
      action: 'read',
      attributes: {
        'opa.agent_path': 'input.attributes.request.http.headers["client-app"]',
        'opa.action': 'GET',
        'opa.labels.id': '6e56bc11-a212-4c3e-be4d-b33186fd581d',
        'opa.labels.version': '0.28.0-envoy',
        'opa.metrics.timer_rego_query_eval_ns': '105799',
        'opa.metrics.timer_server_handler_ns': '425097',
        'opa.http.method': 'GET',
        'opa.http.host': 'bookstore.bookstore:14001',
        'opa.http.protocol': 'HTTP/1.1',
        'opa.http.request_id': '69b80716-6af4-4986-bf8c-8f209d96f131',
        'opa.destination': '10.0.16.44:14001',
      },
    });
    expect(parseEvent(e).ok).toBe(true);
  });

  it('OSM allow (no client-app header) falls back to the source address when configured, with a prefix', () => {
    const e = only(createOpaAdapter({ agentPaths: OSM_AGENT_PATHS, agentIdPrefix: 'ip:' }).map(OSM_ALLOW));
    expect(e).toMatchObject({
      kind: 'policy_decision',
      event_id: 'opa:3f29d449-7f71-4721-b93c-ad7d375e0f80',
      time: '2021-05-04T02:01:35.816Z',
      agent_id: 'ip:10.244.2.10',
      source_ip: '10.244.2.10',
      decision: 'allow',
      policy: 'envoy/authz/allow',
      resource: '/buy-a-book/new',
      action: 'read',
    });
    expect(e.attributes?.['opa.agent_path']).toBe('input.attributes.source.address.socketAddress.address');
  });

  it('OSM decisions map with an x-agent-id header under the default paths', () => {
    const line = clone(OSM_ALLOW);
    const headers = (line['input'] as { attributes: { request: { http: { headers: Record<string, string> } } } }).attributes.request.http.headers;
    headers['x-agent-id'] = 'spiffe://corp.example/agents/bookbuyer';
    expect(only(createOpaAdapter().map(line)).agent_id).toBe('spiffe://corp.example/agents/bookbuyer');
  });

  it('the upload-API example (string result "true", bundle revision) maps with a default agent', () => {
    const e = only(createOpaAdapter({ defaultAgent: 'spiffe://corp.example/agents/example-app' }).map(UPLOAD_ALLOW));
    expect(e).toEqual({
      kind: 'policy_decision',
      event_id: 'opa:4ca636c1-55e4-417a-b1d8-4aceb67960d1',
      time: '2018-01-01T00:00:00.000Z',
      agent_id: 'spiffe://corp.example/agents/example-app',
      source: 'opa',
      decision: 'allow',
      policy: 'http/example/authz/allow',
      resource: '/salary/bob',
      action: 'read',
      attributes: {
        'opa.agent_path': '(defaultAgent)',
        'opa.action': 'GET',
        'opa.bundles.authz.revision': 'W3sibCI6InN5cy9jYXRhbG9nIiwicyI6NDA3MX1d',
        'opa.requested_by': '[::1]:59943',
        'opa.labels.app': 'my-example-app',
        'opa.labels.id': '1780d507-aea2-45cc-ae50-fa153c8e4a5a',
        'opa.labels.version': '{{ current_version }}',
      },
    });
  });

  it('the upload-API example without a default agent is rejected', () => {
    expect(reason(createOpaAdapter().map(UPLOAD_ALLOW))).toMatch(/^agent: no agent id at /);
  });

  it('the same record twice is the same event', () => {
    const opa = createOpaAdapter({ agentPaths: OSM_AGENT_PATHS });
    expect(opa.map(OSM_DENY)).toEqual(opa.map(clone(OSM_DENY)));
  });
});

describe('OPA decision reading', () => {
  const opa = createOpaAdapter();
  const decide = (overrides: Record<string, unknown>, o = opa) => only(o.map(decision(overrides)));

  it.each([
    [true, 'allow'],
    [false, 'deny'],
    ['true', 'allow'],
    ['false', 'deny'],
    ['DENY', 'deny'],
    [{ allowed: true, headers: { 'x-ext-auth': 'ok' }, http_status: 200 }, 'allow'],
    [{ allowed: false, http_status: 403, body: 'Unauthorized' }, 'deny'],
    [{ allow: 'false' }, 'deny'],
    [{ result: { allowed: true } }, 'allow'],
    [{ decision: 'deny', reasons: ['tool not allowed'] }, 'deny'],
  ])('result %j -> %s', (result, expected) => {
    expect(decide({ result }).decision).toBe(expected);
  });

  it('an object result keeps a preview of itself and where the decision came from', () => {
    const e = decide({ result: { allowed: false, http_status: 403 } });
    expect(e.attributes).toMatchObject({ 'opa.decision_from': 'result.allowed', 'opa.result': '{"allowed":false,"http_status":403}' });
  });

  it('a configured field path reads nested decisions', () => {
    const o = createOpaAdapter({ decisionPaths: ['response.verdict.ok'] });
    expect(decide({ result: { response: { verdict: { ok: false } } } }, o).decision).toBe('deny');
  });

  it('deny rules are inverted: true or a non-empty message set means deny', () => {
    expect(decide({ path: 'agents/authz/deny', result: true }).decision).toBe('deny');
    expect(decide({ path: '/agents/authz/deny', result: false }).decision).toBe('allow');
    expect(decide({ path: 'policy/violations', result: ['tool outside scope'] }).decision).toBe('deny');
    expect(decide({ path: 'policy/violations', result: [] }).decision).toBe('allow');
  });

  it('a leading slash on the path is dropped (receivers must tolerate it)', () => {
    expect(decide({ path: '/agents/authz/allow' }).policy).toBe('agents/authz/allow');
  });

  it.each([
    [{ result: 'maybe' }, 'result: expected a boolean, "true"/"false" or a decision object, got "maybe"'],
    [{ result: 42 }, 'result: expected a boolean, "true"/"false" or a decision object, got number 42'],
    [{ result: [true] }, 'result: an array is only a decision for a deny rule'],
    [{ result: { http_status: 403 } }, 'result: an object without a decision at result.allowed, result.allow'],
    [{ result: { allowed: 'perhaps' } }, 'result.allowed: expected a boolean or one of the allow/deny values, got "perhaps"'],
    [{ result: undefined }, 'result: no result (the rule was undefined for this input)'],
    [{ result: undefined, error: { code: 'eval_error' } }, 'result: no result (policy evaluation failed, see error)'],
    [{ result: undefined, erased: ['/result'] }, 'result: erased by the decision-log mask policy'],
  ])('%j is rejected', (overrides, expected) => {
    expect(reason(opa.map(decision(overrides)))).toContain(expected);
  });

  it('undefinedResult: deny counts a missing result as a denial (fail closed), but never an erased one', () => {
    const o = createOpaAdapter({ undefinedResult: 'deny' });
    expect(only(o.map(decision({ result: undefined, error: { code: 'eval_error' } }))).decision).toBe('deny');
    expect(reason(o.map(decision({ result: undefined, erased: ['/result'] })))).toContain('erased');
  });
});

describe('OPA field mapping', () => {
  it('maps the generic input fields and keeps the rest in attributes', () => {
    const e = only(
      createOpaAdapter().map(
        decision({
          input: {
            subject: { id: 'spiffe://corp.example/agents/research' },
            tool: { name: 'docs.search' },
            action: 'EXECUTE',
            resource: { id: 'docs://handbook' },
            session_id: 'run-7',
            token: { jti: 'tok-9' },
            environment: 'staging',
            on_behalf_of: 'alice@corp.example',
            source_ip: '[2001:db8::1]:443',
          },
          labels: { id: 'opa-1', environment: 'prod' },
          trace_id: 't-1',
          span_id: 's-1',
          req_id: 7,
          erased: ['/input/password'],
          masked: ['/input/ssn'],
          revision: 'r-legacy',
        }),
      ),
    );
    expect(e).toMatchObject({
      agent_id: 'spiffe://corp.example/agents/research',
      tool: 'docs.search',
      action: 'execute',
      resource: 'docs://handbook',
      session_id: 'run-7',
      token_id: 'tok-9',
      environment: 'staging',
      on_behalf_of: 'alice@corp.example',
      source_ip: '2001:db8::1',
      time: '2026-11-02T09:00:00.123Z',
    });
    expect(e.attributes?.['opa.action']).toBeUndefined(); // EXECUTE is the canonical `execute`, nothing raw to keep
    expect(e.attributes).toMatchObject({
      'opa.agent_path': 'input.subject.id',
      'opa.source_address': '[2001:db8::1]:443',
      'opa.trace_id': 't-1',
      'opa.span_id': 's-1',
      'opa.req_id': '7',
      'opa.erased': '["/input/password"]',
      'opa.masked': '["/input/ssn"]',
      'opa.revision': 'r-legacy',
      'opa.labels.environment': 'prod',
    });
  });

  it('environment falls back to an OPA label', () => {
    const e = only(createOpaAdapter().map(decision({ labels: { env: 'staging' } })));
    expect(e.environment).toBe('staging');
  });

  it('Envoy principal and HTTP methods map; unknown verbs stay raw in attributes only', () => {
    const opa = createOpaAdapter();
    const envoy = (method: string) =>
      decision({
        input: {
          attributes: {
            source: { principal: 'spiffe://corp.example/agents/crawler', address: { socketAddress: { address: '10.1.2.3', portValue: 5000 } } },
            request: { http: { method, path: '/v1/files/42', headers: {} } },
          },
        },
      });
    const post = only(opa.map(envoy('POST')));
    expect(post).toMatchObject({ agent_id: 'spiffe://corp.example/agents/crawler', action: 'write', resource: '/v1/files/42', source_ip: '10.1.2.3' });
    expect(only(opa.map(envoy('PATCH'))).action).toBe('write');
    expect(only(opa.map(envoy('PUT'))).action).toBe('write');
    expect(only(opa.map(envoy('DELETE'))).action).toBe('delete');
    const odd = only(opa.map(envoy('PROPFIND')));
    expect(odd.action).toBeUndefined();
    expect(odd.attributes?.['opa.action']).toBe('PROPFIND');
  });

  it('a configured action map adds verbs (keys matched case-insensitively)', () => {
    const o = createOpaAdapter({ actionMap: { invoke: 'execute' } });
    expect(only(o.map(decision({ input: { agent_id: 'a', action: 'Invoke' } }))).action).toBe('execute');
    expect(only(o.map(decision({ input: { agent_id: 'a', action: 'GET' } }))).action).toBeUndefined();
  });

  it('console-logger lines that are not decisions are skipped with a reason', () => {
    const r = createOpaAdapter().map({ level: 'info', msg: 'Received request.', req_id: 1, time: '2021-05-04T01:21:18Z' });
    expect(r).toMatchObject({ events: [], rejects: [], skipped: 1, skipReason: 'OPA console log line that is not a decision (msg: Received request.)' });
  });

  it('ad-hoc queries and configured policies are skipped', () => {
    expect(createOpaAdapter().map(decision({ path: undefined, query: 'data.x = y' })).skipped).toBe(1);
    const r = createOpaAdapter({ skipPolicyPattern: '^system/' }).map(decision({ path: 'system/health' }));
    expect(r.skipReason).toBe('policy system/health matches skipPolicyPattern');
  });

  it.each([
    [decision({ decision_id: undefined }), 'decision_id: expected a non-empty string, got nothing'],
    [decision({ decision_id: 42 }), 'decision_id: expected a non-empty string, got number 42'],
    [decision({ path: 7 }), 'path: expected a string, got number 7'],
    [decision({ path: undefined }), 'path: missing'],
    [decision({ timestamp: 42 }), 'timestamp: expected an ISO-8601 time with a zone, got number 42'],
    [decision({ timestamp: '2026-11-02T09:00:00' }), 'timestamp: expected an ISO-8601 time with a zone'],
    [decision({ timestamp: '2026-13-45T99:00:00Z' }), 'timestamp: not a valid time'],
    [decision({ input: { agent_id: 'x'.repeat(300) } }), 'input.agent_id: agent id longer than 256 characters'],
  ])('rejects %#: %s', (record, expected) => {
    expect(reason(createOpaAdapter().map(record))).toContain(expected);
  });

  it('a console line uses `time` when `timestamp` is missing', () => {
    const line = clone(OSM_DENY);
    delete line['timestamp'];
    expect(only(createOpaAdapter({ agentPaths: OSM_AGENT_PATHS }).map(line)).time).toBe('2021-05-04T01:21:18.000Z');
  });

  it('options are validated when the adapter is created', () => {
    expect(() => createOpaAdapter({ denyRulePattern: '(' })).toThrow(/regular expression/);
    expect(() => createOpaAdapter({ actionMap: { GET: 'peek' as 'read' } })).toThrow();
    expect(() => createOpaAdapter({ unknown: true } as never)).toThrow();
  });

  it('flush has nothing to give back', () => {
    expect(createOpaAdapter().flush()).toEqual({ events: [], rejects: [], skipped: 0 });
  });
});

describe('detectOpa', () => {
  it('claims both OPA sample shapes', () => {
    for (const r of [...OSM_LINES, ...UPLOAD]) expect(detectOpa(r)).toBe(true);
  });

  it('does not claim canonical events, MCP messages or other values', () => {
    const canonical = { kind: 'policy_decision', event_id: 'e', decision_id: 'd', path: 'p', timestamp: '2026-11-02T09:00:00Z' };
    expect(detectOpa(canonical)).toBe(false);
    const mcp = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 't' } };
    expect(detectOpa(mcp)).toBe(false);
    for (const r of [...OSM_LINES, ...UPLOAD]) expect(detectMcp(r)).toBe(false);
    for (const v of [null, 42, 'x', [], {}, { decision_id: 'd' }]) expect(detectOpa(v)).toBe(false);
  });
});

describe('OPA hostile input', () => {
  const opa = createOpaAdapter({ agentPaths: [...DEFAULT_AGENT_PATHS, ...OSM_AGENT_PATHS], undefinedResult: 'deny' });

  it.each([null, undefined, 42, 'text', true, [], [OSM_DENY]])('rejects a non-object record %#', (record) => {
    expect(reason(opa.map(record))).toMatch(/^record: expected a decision-log object/);
  });

  it('huge and deeply nested values are bounded, never thrown on', () => {
    let deep: Record<string, unknown> = { end: true };
    for (let i = 0; i < 20_000; i++) deep = { a: deep };
    const huge = 'x'.repeat(5_000_000);
    const e = only(
      opa.map(
        decision({
          decision_id: huge,
          input: { agent_id: 'a', tool: huge, resource: huge, nested: deep },
          result: { allowed: true, deep, big: huge },
          labels: Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, huge])),
          metrics: deep,
          error: deep,
        }),
      ),
    );
    expect(e.event_id).toMatch(/^opa:sha256:[0-9a-f]{64}$/);
    expect(e.tool).toBeUndefined();
    expect(e.resource).toBeUndefined();
    expect(JSON.stringify(e).length).toBeLessThan(20_000);
  });

  it('a small fuzz loop: mutated samples never throw and every event is canonical', () => {
    const rand = mulberry32(42);
    const seeds = [OSM_DENY, OSM_ALLOW, UPLOAD_ALLOW, decision(), decision({ result: { allowed: false } })];
    let events = 0;
    for (let i = 0; i < 2000; i++) {
      const record = mutate(clone(seeds[i % seeds.length]), rand);
      const r = opa.map(record);
      for (const e of r.events) expect(parseEvent(e).ok).toBe(true);
      for (const j of r.rejects) expect(j.reason.length).toBeGreaterThan(0);
      events += r.events.length;
    }
    expect(events).toBeGreaterThan(0);
  });
});

/** Replaces, deletes or adds 1..3 values at random places of a record (5% of the time: a hostile value instead). */
const mutate = mutator([...HOSTILE_VALUES]);
