import { ALERT_STATUSES, type AlertStatus, CATEGORIES, Rfc3339, SEVERITIES, type Severity } from '@agentwatch/schemas';
import type { AlertFilters } from '@agentwatch/store';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyParams } from '../../../test/support/properties.ts';
import { ApiError, badParam } from '../src/errors.ts';
import { parseAlertQuery } from '../src/index.ts';

// The hand-written GET /v1/alerts parser the zod schema (AlertQuery) replaced, kept here verbatim as the oracle:
// the schema must accept, refuse and explain exactly as it did.
// 1.1 added owner, assignee, tag, q and sort (tested in triage.test.ts); the oracle only learned their names and the
// default sort, so for the 1.0 parameters the two must still agree exactly.
const ALERT_LIST_PARAMS = [
  'since',
  'until',
  'severity',
  'category',
  'rule_id',
  'agent_id',
  'status',
  'owner',
  'assignee',
  'tag',
  'q',
  'sort',
  'limit',
  'cursor',
  'incident_id',
  'format',
] as const;

type Query = Record<string, string | string[] | undefined>;

/** One value of a single-valued parameter, or undefined; given twice or empty: 400. */
function single(q: Query, name: string): string | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  if (Array.isArray(v)) throw badParam(name, 'given more than once');
  if (v === '') throw badParam(name, 'empty value');
  return v;
}

/** A multi-valued parameter: repeated (`?status=new&status=acknowledged`) or comma-separated. */
function multi(q: Query, name: string, allowed?: readonly string[]): string[] | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  const values = (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim());
  if (values.some((s) => s === '')) throw badParam(name, 'empty value');
  if (allowed) {
    const bad = values.filter((s) => !allowed.includes(s));
    if (bad.length) throw badParam(name, `expected one of ${allowed.join(', ')}, got ${bad.map((b) => JSON.stringify(b)).join(', ')}`);
  }
  return values;
}

function time(q: Query, name: string): string | undefined {
  const v = single(q, name);
  if (v === undefined) return undefined;
  if (!Rfc3339.safeParse(v).success) throw badParam(name, `expected an RFC 3339 timestamp with zone, e.g. 2026-11-02T09:00:00Z, got ${JSON.stringify(v)}`);
  return v;
}

/** Validates GET /v1/alerts query parameters into store filters. */
function legacyParseAlertQuery(q: Query): { filters: AlertFilters; format: 'json' | 'ndjson' | undefined } {
  const unknown = Object.keys(q).filter((k) => !(ALERT_LIST_PARAMS as readonly string[]).includes(k));
  if (unknown.length) {
    throw new ApiError(
      400,
      'invalid_parameter',
      `unknown parameter${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; expected ${ALERT_LIST_PARAMS.join(', ')}`,
      unknown.map((parameter) => ({ parameter, message: 'unknown parameter' })),
    );
  }
  const filters: AlertFilters = { sort: '-last_seen' };
  const since = time(q, 'since');
  if (since !== undefined) filters.since = since;
  const until = time(q, 'until');
  if (until !== undefined) filters.until = until;
  const severity = single(q, 'severity');
  if (severity !== undefined) {
    if (!(SEVERITIES as readonly string[]).includes(severity))
      throw badParam('severity', `expected one of ${SEVERITIES.join(', ')}, got ${JSON.stringify(severity)}`);
    filters.severity = severity as Severity;
  }
  const category = multi(q, 'category', CATEGORIES);
  if (category) filters.category = category as AlertFilters['category'];
  const ruleId = multi(q, 'rule_id');
  if (ruleId) filters.rule_id = ruleId;
  const agentId = multi(q, 'agent_id');
  if (agentId) filters.agent_id = agentId;
  const status = multi(q, 'status', ALERT_STATUSES);
  if (status) filters.status = status as AlertStatus[];
  const limit = single(q, 'limit');
  if (limit !== undefined) {
    const n = Number(limit);
    if (!/^\d+$/.test(limit) || n < 1 || n > 1000) throw badParam('limit', `expected a whole number from 1 to 1000, got ${JSON.stringify(limit)}`);
    filters.limit = n;
  }
  const cursor = single(q, 'cursor');
  if (cursor !== undefined) filters.cursor = cursor;
  const incidentId = single(q, 'incident_id');
  if (incidentId !== undefined) filters.incident_id = incidentId;
  const format = single(q, 'format');
  if (format !== undefined && format !== 'json' && format !== 'ndjson') throw badParam('format', `expected json or ndjson, got ${JSON.stringify(format)}`);
  return { filters, format };
}

/** What a parse gave: the filters, or the error as the client sees it. */
function outcome(parse: (q: Query) => unknown, q: Query): unknown {
  try {
    return { ok: parse(q) };
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    return { status: e.status, code: e.code, message: e.message, details: e.details };
  }
}

const KEYS = [
  'since',
  'until',
  'severity',
  'category',
  'rule_id',
  'agent_id',
  'status',
  'limit',
  'cursor',
  'incident_id',
  'format',
  'severty',
  'x',
  '__proto__',
  'constructor',
];
const value = fc.oneof(
  fc.constantFrom(...SEVERITIES, ...CATEGORIES, ...ALERT_STATUSES, 'json', 'ndjson', 'xml', '', ' ', ',', 'new,', ' new , resolved', 'credential,runtime'),
  fc.constantFrom('2026-11-02T09:00:00Z', '2026-11-02T09:00:00.123+01:00', '2026-02-30T00:00:00Z', '2026-11-02', 'yesterday'),
  fc.constantFrom('0', '1', '1000', '1001', '0001', '-1', '1e3', '1.0', ' 5', 'abc'),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
);
const query: fc.Arbitrary<Query> = fc.dictionary(fc.constantFrom(...KEYS), fc.oneof(value, fc.array(value, { minLength: 1, maxLength: 3 })), {
  maxKeys: 5,
});

describe('GET /v1/alerts query parameters (property)', () => {
  it('the zod schema accepts, refuses and explains exactly as the hand-written parser did', () => {
    fc.assert(
      fc.property(query, (q) => {
        expect(outcome(parseAlertQuery, q)).toEqual(outcome(legacyParseAlertQuery, q));
      }),
      propertyParams(3000),
    );
  });

  it('never throws anything but a 400 ApiError naming a parameter, whatever the query', () => {
    const anyQuery = fc.dictionary(fc.string({ maxLength: 10 }), fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 3 })), { maxKeys: 6 });
    fc.assert(
      fc.property(anyQuery, (q) => {
        try {
          parseAlertQuery(q);
        } catch (e) {
          expect(e).toBeInstanceOf(ApiError);
          const err = e as ApiError;
          expect(err.status).toBe(400);
          expect(err.details.length).toBeGreaterThan(0);
          expect(typeof err.details[0]?.['parameter']).toBe('string');
        }
      }),
      propertyParams(2000),
    );
  });
});
