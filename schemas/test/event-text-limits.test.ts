import { describe, expect, it } from 'vitest';
import { jsonSchemas } from '../src/json-schema.ts';
import { parseEvent, parseEventJson } from '../src/parse-event.ts';

/**
 * Every string field of every kind, found in the generated JSON Schema (so a field added later is covered without
 * editing this test): a lone surrogate and one character over its limit are each rejected with a problem naming the
 * field; its limit itself is accepted. Lists one over their item limit are rejected too.
 */
const AGENT = 'spiffe://corp.example/agents/a';
const FULL: Record<string, Record<string, unknown>> = {
  tool_call: {
    kind: 'tool_call',
    event_id: 'e-1',
    time: '2026-11-02T09:00:00.000Z',
    agent_id: AGENT,
    source: 'otel',
    environment: 'prod',
    session_id: 's',
    task_id: 'k',
    on_behalf_of: 'alice',
    delegation_chain: ['user:alice', AGENT],
    source_ip: '10.1.2.3',
    attributes: { x: 'y' },
    tool: 'erp.invoice.read',
    action: 'read',
    resource: 'erp://invoices/1',
    outcome: 'success',
    token_id: 't',
    approval: { by: 'bob', at: '2026-11-02T09:00:00Z' },
  },
  token_issued: {
    kind: 'token_issued',
    event_id: 'e-1',
    time: '2026-11-02T09:00:00.000Z',
    agent_id: AGENT,
    token_id: 't',
    issuer: 'idp',
    scopes: ['a'],
    audience: ['b'],
    expires_at: '2026-11-02T10:00:00Z',
    grant_type: 'g',
    parent_token_id: 'p',
  },
  token_revoked: { kind: 'token_revoked', event_id: 'e-1', time: '2026-11-02T09:00:00.000Z', agent_id: AGENT, token_id: 't', reason: 'r' },
  policy_decision: {
    kind: 'policy_decision',
    event_id: 'e-1',
    time: '2026-11-02T09:00:00.000Z',
    agent_id: AGENT,
    decision: 'deny',
    policy: 'p',
    tool: 't',
    resource: 'r',
    token_id: 'x',
  },
};

type JsonSchema = {
  type?: string;
  maxLength?: number;
  minLength?: number;
  pattern?: string;
  maxItems?: number;
  maxProperties?: number;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  additionalProperties?: JsonSchema;
  propertyNames?: JsonSchema;
  const?: unknown;
  enum?: unknown[];
  format?: string;
};
type Site = { kind: string; field: string; path: string; schema: JsonSchema; put: (e: Record<string, unknown>, v: string) => unknown };

/** Free-text strings (bounded, valid-Unicode pattern), with how to put a value there in a copy of the template. */
function textSites(): Site[] {
  const event = jsonSchemas()['event'] as { oneOf: JsonSchema[] };
  const sites: Site[] = [];
  for (const variant of event.oneOf) {
    const props = variant.properties ?? {};
    const kind = props['kind']?.const as string;
    for (const [field, s] of Object.entries(props)) {
      const isText = (x: JsonSchema | undefined): x is JsonSchema => x?.type === 'string' && typeof x.maxLength === 'number';
      if (isText(s)) sites.push({ kind, field, path: field, schema: s, put: (_e, v) => v });
      if (s.type === 'array' && isText(s.items))
        sites.push({ kind, field, path: `${field}[0]`, schema: s.items, put: (e, v) => [v, ...((e[field] as string[]) ?? []).slice(1)] });
      if (s.type === 'object' && isText(s.additionalProperties)) {
        sites.push({ kind, field, path: `${field}.k`, schema: s.additionalProperties, put: (_e, v) => ({ k: v }) });
        if (isText(s.propertyNames)) sites.push({ kind, field, path: `${field}.<key>`, schema: s.propertyNames, put: (_e, v) => ({ [v]: 'v' }) });
      }
      if (s.type === 'object' && s.properties) {
        for (const [sub, ss] of Object.entries(s.properties)) {
          if (isText(ss)) sites.push({ kind, field, path: `${field}.${sub}`, schema: ss, put: (e, v) => ({ ...(e[field] as object), [sub]: v }) });
        }
      }
    }
  }
  return sites;
}

/** A template with `v` at the site; a delegation_chain still ends with agent_id (a cross-field rule, not this test's). */
function withValue(site: Site, v: string): Record<string, unknown> {
  const e = structuredClone(FULL[site.kind] as Record<string, unknown>);
  e[site.field] = site.put(e, v);
  if (site.field === 'agent_id' && Array.isArray(e['delegation_chain'])) e['delegation_chain'] = ['user:alice', v];
  if (site.field === 'delegation_chain') e['delegation_chain'] = [v, e['agent_id']];
  return e;
}

const sites = textSites();

describe('canonical event text: valid Unicode and bounded lengths, field by field', () => {
  it('finds the string fields of every kind in the schema', () => {
    const kinds = new Set(sites.map((s) => s.kind));
    expect([...kinds].sort()).toEqual(Object.keys(FULL).sort());
    expect(sites.length).toBeGreaterThan(40);
    for (const s of sites) expect(s.schema.pattern, s.path).toBeDefined();
  });

  it.each(sites.map((s) => [`${s.kind} ${s.path}`, s] as const))('%s: a lone surrogate is rejected, naming the field', (_name, site) => {
    for (const bad of ['a\ud800', '\udfffz', 'x\udc00\ud800y']) {
      const r = parseEvent(withValue(site, bad));
      expect(r.ok).toBe(false);
      if (r.ok) continue;
      const named = r.problems.some((p) => p.path.startsWith(site.field) && /Unicode/.test(p.message));
      expect(named, JSON.stringify(r.problems)).toBe(true);
    }
    // A valid pair (an emoji) is fine.
    expect(parseEvent(withValue(site, 'ok \ud83d\ude00')).ok).toBe(true);
  });

  it.each(sites.map((s) => [`${s.kind} ${s.path}`, s] as const))('%s: its limit is accepted, one more is rejected naming the field', (_name, site) => {
    const max = site.schema.maxLength as number;
    expect(parseEvent(withValue(site, 'x'.repeat(max))).ok).toBe(true);
    const r = parseEvent(withValue(site, 'x'.repeat(max + 1)));
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(
        r.problems.some((p) => p.path.startsWith(site.field)),
        JSON.stringify(r.problems),
      ).toBe(true);
  });

  it('lists and attributes over their item limits are rejected, naming the field', () => {
    const event = jsonSchemas()['event'] as { oneOf: JsonSchema[] };
    let checked = 0;
    for (const variant of event.oneOf) {
      const kind = variant.properties?.['kind']?.const as string;
      for (const [field, s] of Object.entries(variant.properties ?? {})) {
        const limit = s.maxItems ?? s.maxProperties;
        if (limit === undefined) continue;
        const e = structuredClone(FULL[kind] as Record<string, unknown>);
        e[field] =
          s.maxItems !== undefined
            ? Array.from({ length: limit + 1 }, (_, i) => (field === 'delegation_chain' && i === limit ? AGENT : `a${i}`))
            : Object.fromEntries(Array.from({ length: limit + 1 }, (_, i) => [`k${i}`, 'v']));
        const r = parseEvent(e);
        expect(r.ok, `${kind}.${field}`).toBe(false);
        if (!r.ok)
          expect(
            r.problems.some((p) => p.path.startsWith(field)),
            JSON.stringify(r.problems),
          ).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(5);
  });

  it('a JSON \\ud800 escape is the same lone surrogate: rejected from NDJSON text too', () => {
    const line = JSON.stringify({ ...FULL['tool_call'], tool: 'x' }).replace('"tool":"x"', '"tool":"x\\ud800"');
    const r = parseEventJson(line);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]?.path).toBe('tool');
  });
});
