import { readFileSync } from 'node:fs';
import { parseEvent } from '@agentwatch/schemas';
import { describe, expect, it } from 'vitest';
import type { AdapterResult } from '../src/types.ts';
import { createVaultAdapter, detectVault } from '../src/vault/index.ts';
import { mulberry32 } from './fuzz.ts';
import { approleLogin, call, sampleLines } from './vault-fixtures.ts';

const bot = { name: 'invoice', roleName: 'invoice-bot' };
const T = '2026-11-02T09:00:00Z';

/** A value nested `depth` levels deep, built without recursion. */
function deep(depth: number): unknown {
  let v: unknown = 'bottom';
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { k: v };
  return v;
}

function expectSound(r: AdapterResult): void {
  for (const e of r.events) {
    const p = parseEvent(e);
    if (!p.ok) throw new Error(`non-canonical event: ${JSON.stringify(p.problems)}`);
    expect(e.event_id.length).toBeLessThanOrEqual(128);
  }
  for (const j of r.rejects) expect(j.reason.length).toBeGreaterThan(0);
}

describe('vault adapter: hostile and malformed records', () => {
  const reasonOf = (record: unknown): string | undefined => {
    const a = createVaultAdapter();
    const r = a.map(record);
    expectSound(r);
    expectSound(a.flush());
    return r.rejects[0]?.reason;
  };

  it.each([
    [null, 'record: expected a Vault audit entry object, got null'],
    [[1, 2], 'record: expected a Vault audit entry object, got an array'],
    [42, 'record: expected a Vault audit entry object, got 42'],
    ['{"type":"response"}', 'record: expected a Vault audit entry object, got "{\\"type\\":\\"response\\"}"'],
    [{}, 'type: expected "request" or "response", got nothing'],
    [{ type: 7 }, 'type: expected "request" or "response", got 7'],
    [{ type: 'response', time: 42, request: {} }, 'time: expected an RFC 3339 time, got 42'],
    [{ type: 'response', time: '42', request: {} }, 'time: expected an RFC 3339 time, got "42"'],
    [{ type: 'response', time: 'yesterday', request: {} }, 'time: expected an RFC 3339 time, got "yesterday"'],
    [{ type: 'response', time: T }, 'request: expected an object, got nothing'],
    [{ type: 'response', time: T, request: 'x' }, 'request: expected an object, got "x"'],
    [{ type: 'response', time: T, request: { path: 'a' } }, 'request.operation: expected an operation such as "read", got nothing'],
    [{ type: 'response', time: T, request: { operation: 'read', path: 5 } }, 'request.path: expected a string, got 5'],
    [{ type: 'response', time: T, request: { operation: 'read', path: 'a', id: {} } }, 'request.id: expected a string, got an object'],
    [{ type: 'response', time: T, request: { operation: 'read', path: 'a', namespace: [] } }, 'request.namespace: expected an object, got an array'],
    [{ type: 'response', time: T, auth: 'root', request: { operation: 'read', path: 'a' } }, 'auth: expected an object, got "root"'],
    [{ type: 'response', time: T, auth: { accessor: 12 }, request: { operation: 'read', path: 'a' } }, 'auth.accessor: expected a string, got 12'],
    [{ type: 'response', time: T, request: { operation: 'read', path: 'a' }, response: { auth: [] } }, 'response.auth: expected an object, got an array'],
    [{ type: 'response', time: T, request: { operation: 'read', path: 'a' }, error: { msg: 'x' } }, 'error: expected a string, got an object'],
    [{ type: 'response', time: T, request: { operation: 'read', path: 'p'.repeat(5000) } }, 'request.path: longer than 4096 characters (5000)'],
  ])('%j -> %s', (record, reason) => {
    expect(reasonOf(record)).toBe(reason);
  });

  it('an agent id longer than events.md allows is a reject from the schema, not an invalid event', () => {
    const e = call({ id: 'r', time: T, token: { ...bot, roleName: 'x'.repeat(300) }, path: 'secret/data/a' });
    const r = createVaultAdapter().map(e);
    expect(r.events).toEqual([]);
    expect(r.rejects[0]?.reason).toMatch(/^mapped event is not canonical: .*agent_id/);
  });

  it('bounds attributes: thousands of metadata keys and megabyte values stay small', () => {
    const e = call({ id: 'r', time: T, token: bot, path: 'secret/data/a' });
    const metadata: Record<string, unknown> = { role_name: 'invoice-bot' };
    for (let i = 0; i < 5000; i++) metadata[`k${i}`] = 'v'.repeat(i === 1 ? 2_000_000 : 10);
    (e['auth'] as Record<string, unknown>)['metadata'] = metadata;
    (e['auth'] as Record<string, unknown>)['policies'] = Array.from({ length: 100_000 }, (_, i) => `p${i}`);
    const r = createVaultAdapter().map(e);
    expectSound(r);
    const attrs = r.events[0]?.attributes ?? {};
    expect(Object.keys(attrs).length).toBeLessThanOrEqual(64);
    expect(JSON.stringify(attrs).length).toBeLessThan(64 * 1100);
  });

  it('survives deep nesting anywhere, including id-less entries whose id is a content hash', () => {
    const e = call({ id: 'r', time: T, token: bot, path: 'secret/data/a' });
    delete (e['request'] as Record<string, unknown>)['id'];
    (e['request'] as Record<string, unknown>)['data'] = deep(100_001);
    (e['auth'] as Record<string, unknown>)['metadata'] = { role_name: 'invoice-bot', nested: deep(100_001) };
    (e['response'] as Record<string, unknown>)['data'] = deep(100_001);
    const r = createVaultAdapter().map(e);
    expectSound(r);
    expect(r.events[0]?.event_id).toMatch(/^vault:h-[0-9a-f]{32}:call$/);
  });

  it('ignores prototype-looking keys', () => {
    const e = JSON.parse(
      '{"time":"2026-11-02T09:00:00Z","type":"response","auth":{"__proto__":{"accessor":"x"},"metadata":{"__proto__":{"role_name":"evil"}},"display_name":"ok"},"request":{"operation":"read","path":"a","__proto__":{"id":"p"}}}',
    );
    const r = createVaultAdapter().map(e);
    expectSound(r);
    expect(r.events[0]).toMatchObject({ agent_id: 'ok' });
    expect(r.events[0]?.event_id).toMatch(/^vault:h-/);
  });
});

const WEIRD: unknown[] = [
  null,
  0,
  -1,
  1e308,
  Number.NaN,
  true,
  '',
  'permission denied',
  'hmac-sha256:00',
  'x'.repeat(10_000),
  '2026-13-45T99:99:99Z',
  '::1',
  [],
  ['a', 1, null],
  {},
  { accessor: 5 },
  deep(5_000),
];

/** Every object node in a record, with its keys, for picking mutation sites. */
function objectNodes(v: unknown, out: Record<string, unknown>[] = [], depth = 0): Record<string, unknown>[] {
  if (depth > 8 || typeof v !== 'object' || v === null) return out;
  if (!Array.isArray(v)) out.push(v as Record<string, unknown>);
  for (const child of Object.values(v)) objectNodes(child, out, depth + 1);
  return out;
}

function mutate(record: Record<string, unknown>, rand: () => number): Record<string, unknown> {
  const copy = structuredClone(record);
  const n = 1 + Math.floor(rand() * 3);
  for (let i = 0; i < n; i++) {
    const nodes = objectNodes(copy);
    const node = nodes[Math.floor(rand() * nodes.length)];
    if (!node) continue;
    const keys = Object.keys(node);
    const key = rand() < 0.15 ? 'extra' : keys[Math.floor(rand() * keys.length)];
    if (key === undefined) continue;
    if (rand() < 0.3) delete node[key];
    else node[key] = WEIRD[Math.floor(rand() * WEIRD.length)];
  }
  return copy;
}

describe('vault adapter: fuzz', () => {
  it('never throws on random mutations of real and hand-made entries, and every event is canonical', () => {
    const seeds = [
      ...sampleLines(),
      approleLogin('l', T, bot),
      call({ id: 'c', time: T, token: bot, path: 'auth/token/revoke-accessor', mountType: 'token', data: { accessor: 'hmac-sha256:aa' } }),
      call({ id: 'd', time: T, token: bot, path: 'secret/data/a', type: 'request', error: 'permission denied' }),
    ];
    const rand = mulberry32(20261102);
    let events = 0;
    for (const options of [{}, { unauthenticatedAgentId: 'anon', deniedAs: 'both' as const, maxPendingRequests: 3, tokenMemory: 2 }]) {
      const adapter = createVaultAdapter(options);
      for (let i = 0; i < 1500; i++) {
        const seed = seeds[Math.floor(rand() * seeds.length)]!;
        const record = mutate(seed, rand);
        let r: AdapterResult | undefined;
        expect(() => {
          r = adapter.map(record);
        }).not.toThrow();
        expectSound(r!);
        events += r!.events.length;
        expect(r!.rejects.every((j) => !j.reason.startsWith('record: could not be mapped'))).toBe(true);
      }
      expectSound(adapter.flush());
    }
    // The mutations must leave plenty of mappable entries, or the loop would only exercise rejects.
    expect(events).toBeGreaterThan(500);
  });
});

describe('detectVault', () => {
  const samples = new URL('../../../../shared/samples/', import.meta.url);
  const text = (p: string): string => readFileSync(new URL(p, samples), 'utf8');
  const lines = (p: string): unknown[] =>
    text(p)
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l));

  it('claims every real Vault line', () => {
    expect(sampleLines().every(detectVault)).toBe(true);
  });

  it('does not claim other sources’ real records or canonical events', () => {
    const others: unknown[] = [
      ...lines('okta-system-log/elastic_okta_test-okta-system-events.log'),
      ...lines('opa-decision-logs/osm_opa-envoy-plugin_decision-logs.jsonl'),
      ...(JSON.parse(text('opa-decision-logs/opa-docs_decision-log-upload-example.json')) as unknown[]),
      ...(JSON.parse(text('aws-cloudtrail/stratus_aws.persistence.sts-federation-token.json')) as unknown[]),
      JSON.parse(text('mcp/CallToolRequest_call-tool-request.json')),
      JSON.parse(text('mcp/CallToolResultResponse_call-tool-result-response.json')),
      JSON.parse(text('otel-genai/any-agent_OPENAI_trace.json')),
      { kind: 'tool_call', event_id: 'e', time: T, type: 'response', request: { path: 'a' } },
      { resourceSpans: [] },
      null,
      [],
      'request',
    ];
    expect(others.filter(detectVault)).toEqual([]);
  });
});
