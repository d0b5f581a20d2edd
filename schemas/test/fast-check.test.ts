import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../test/support/prng.ts';
import { propertyParams } from '../../test/support/properties.ts';
import { CanonicalEvent } from '../src/event.ts';
import { isCertainlyCanonicalEvent } from '../src/fast-check.ts';
import { normalizeEvent } from '../src/normalize.ts';
import { parseEvent, parseEventJson } from '../src/parse-event.ts';

const base = { event_id: 'e-1', time: '2026-11-02T09:00:00.000Z', agent_id: 'spiffe://corp.example/agents/a' };
const TEMPLATES: Record<string, unknown>[] = [
  {
    kind: 'tool_call',
    ...base,
    tool: 'erp.invoice.read',
    action: 'read',
    resource: 'erp://invoices/1',
    outcome: 'success',
    token_id: 't',
    bytes_in: 1,
    bytes_out: 2,
    records: 3,
    duration_ms: 1.5,
    approval: { by: 'alice', at: '2026-11-02T09:00:00Z' },
    context_trust: 'untrusted',
    source: 'otel',
    environment: 'prod',
    session_id: 's',
    task_id: 'k',
    on_behalf_of: 'alice',
    delegation_chain: ['user:alice', 'spiffe://corp.example/agents/a'],
    source_ip: '10.1.2.3',
    attributes: { x: 'y' },
  },
  {
    kind: 'token_issued',
    ...base,
    token_id: 't',
    issuer: 'idp',
    scopes: ['a'],
    audience: ['b'],
    expires_at: '2026-11-02T10:00:00+01:00',
    grant_type: 'g',
    parent_token_id: 'p',
  },
  { kind: 'token_revoked', ...base, token_id: 't', reason: 'r' },
  { kind: 'policy_decision', ...base, decision: 'deny', policy: 'p', tool: 't', resource: 'r', action: 'admin', token_id: 'x' },
];

const WEIRD: unknown[] = [
  '',
  'x',
  'x'.repeat(129),
  'x'.repeat(257),
  -1,
  0,
  1.5,
  2 ** 60,
  Number.NaN,
  true,
  null,
  [],
  ['a'],
  [''],
  [1],
  {},
  { by: '' },
  { by: 'a', extra: 1 },
  '2026-02-30T00:00:00Z',
  '2026-11-02T24:00:00Z',
  '2026-11-02T09:00:00',
  '2026-11-02T09:00:00+25:00',
  '2026-11-02 09:00:00Z',
  '::1',
  '999.1.1.1',
  'success',
  'denied',
  'deny',
  'admin',
  'untrusted',
  'tool_call',
  'token_issued',
  // Invalid Unicode and the per-field limits (EVENT_LIMITS): each one side and the other of the bound.
  'a\ud800',
  '\udc00b',
  '\ud83d\ude00',
  ['\ud800'],
  { k: 'v\udfff' },
  { '\ud800': 'v' },
  'x'.repeat(512),
  'x'.repeat(513),
  'x'.repeat(1024),
  'x'.repeat(1025),
  'x'.repeat(2048),
  'x'.repeat(2049),
  { k: 'x'.repeat(8192) },
  { k: 'x'.repeat(8193) },
  { ['k'.repeat(257)]: 'v' },
  Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`k${i}`, 'v'])),
  Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v'])),
  Array.from({ length: 32 }, () => 'a'),
  Array.from({ length: 33 }, () => 'a'),
  Array.from({ length: 257 }, () => 'a'),
];

function mutate(template: Record<string, unknown>, r: () => number): Record<string, unknown> {
  const e: Record<string, unknown> = structuredClone(template);
  const keys = [...Object.keys(e), 'colour', 'tool', 'scopes', 'outcome', 'decision', 'approval', 'attributes'];
  const n = 1 + Math.floor(r() * 3);
  for (let i = 0; i < n; i++) {
    const k = keys[Math.floor(r() * keys.length)] as string;
    const roll = r();
    if (roll < 0.25) delete e[k];
    else if (roll < 0.9) e[k] = structuredClone(WEIRD[Math.floor(r() * WEIRD.length)]);
    else if (k === 'attributes') e[k] = { a: 1 };
    else e[k] = structuredClone(template[k] ?? 'x');
  }
  return e;
}

describe('fast validation pre-check', () => {
  it('vouches for the valid templates (so the fast path is really used)', () => {
    for (const t of TEMPLATES) {
      expect(CanonicalEvent.safeParse(t).success).toBe(true);
      expect(isCertainlyCanonicalEvent(t)).toBe(true);
    }
  });

  it('agrees with the zod schema on every WEIRD value in every field (both ways, where it vouches)', () => {
    for (const t of TEMPLATES) {
      for (const k of Object.keys(t)) {
        for (const w of WEIRD) {
          const m = { ...t, [k]: structuredClone(w) };
          if (isCertainlyCanonicalEvent(m)) expect(CanonicalEvent.safeParse(m).success, `${k} = ${JSON.stringify(w).slice(0, 60)}`).toBe(true);
        }
      }
    }
  });

  it('never accepts what the zod schema rejects (differential fuzz, 40,000 mutants)', () => {
    const r = mulberry32(20261124);
    let vouched = 0;
    for (let i = 0; i < 40_000; i++) {
      const m = mutate(TEMPLATES[i % TEMPLATES.length] as Record<string, unknown>, r);
      if (isCertainlyCanonicalEvent(m)) {
        vouched++;
        const z = CanonicalEvent.safeParse(m);
        if (!z.success) throw new Error(`pre-check accepted an invalid event: ${JSON.stringify(m)}\n${z.error.message}`);
      }
    }
    expect(vouched).toBeGreaterThan(1000);
  });

  it('normalisation keeps the JSON form and gives each kind one shape', () => {
    for (const t of TEMPLATES) {
      const parsed = CanonicalEvent.parse(t);
      const n = normalizeEvent(parsed);
      expect(JSON.parse(JSON.stringify(n))).toEqual(JSON.parse(JSON.stringify(parsed)));
      const minimal = normalizeEvent(
        CanonicalEvent.parse({
          ...Object.fromEntries(
            Object.entries(t).filter(([k]) =>
              ['kind', 'event_id', 'time', 'agent_id', 'tool', 'outcome', 'token_id', 'issuer', 'scopes', 'expires_at', 'decision'].includes(k),
            ),
          ),
        }),
      );
      expect(Object.keys(minimal)).toEqual(Object.keys(n));
    }
  });
});

/** A template with fast-check-chosen fields deleted, replaced by WEIRD or arbitrary JSON values, or added. */
const mutant: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    fc.constantFrom(...TEMPLATES),
    fc.array(
      fc.tuple(
        fc.constantFrom('kind', 'event_id', 'time', 'agent_id', 'tool', 'outcome', 'scopes', 'expires_at', 'decision', 'approval', 'attributes', 'colour'),
        fc.oneof(fc.constant(undefined), fc.constantFrom(...WEIRD), fc.jsonValue({ maxDepth: 2 }), fc.string({ unit: 'binary', maxLength: 12 })),
      ),
      { minLength: 1, maxLength: 3 },
    ),
  )
  .map(([template, edits]) => {
    const e = structuredClone(template);
    for (const [k, v] of edits) {
      if (v === undefined) delete e[k];
      else e[k] = structuredClone(v);
    }
    return e;
  });

describe('canonical event parsing (fast-check properties)', () => {
  it('the pre-check never vouches for what zod rejects', () => {
    fc.assert(
      fc.property(mutant, (m) => {
        if (isCertainlyCanonicalEvent(m)) expect(CanonicalEvent.safeParse(m).success, JSON.stringify(m)).toBe(true);
      }),
      propertyParams(5000),
    );
  });

  it('parseEvent never accepts what zod rejects (it adds cross-field checks), never throws, and names a problem when it refuses', () => {
    fc.assert(
      fc.property(fc.oneof(mutant, fc.jsonValue({ maxDepth: 3 })), (v) => {
        const r = parseEvent(v);
        if (r.ok) expect(CanonicalEvent.safeParse(v).success).toBe(true);
        else expect(r.problems.length).toBeGreaterThan(0);
      }),
      propertyParams(3000),
    );
  });

  it('parseEventJson of any text never throws; of JSON text it agrees with parseEvent of the value', () => {
    const texts = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      mutant.map((m) => JSON.stringify(m)),
      mutant.map((m) => JSON.stringify(m).slice(0, -1)),
    );
    fc.assert(
      fc.property(texts, (text) => {
        const r = parseEventJson(text);
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch {
          expect(r.ok).toBe(false);
          return;
        }
        expect(r.ok).toBe(parseEvent(value).ok);
        if (!r.ok) expect(r.problems.every((p) => typeof p.message === 'string' && p.message.length > 0)).toBe(true);
      }),
      propertyParams(3000),
    );
  });
});
