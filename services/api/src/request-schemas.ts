import { ALERT_STATUSES, CATEGORIES, SEVERITIES } from '@agentwatch/schemas';
import { ALERT_SORTS, MAX_Q_WORD_CHARS, MAX_Q_WORDS } from '@agentwatch/store';
import { type core, z } from 'zod';
import { ApiError, badParam } from './errors.ts';

/**
 * The zod schemas that validate request parameters and JSON bodies. Each is given to its route as `schema`
 * (validated by the server's validator compiler) and rendered into GET /openapi.json, so the document cannot
 * drift from what the server accepts. Error messages name the parameter and are those api.md's clients saw
 * before the schemas existed.
 */

/** Largest alert status comment, in characters. */
export const MAX_COMMENT = 10_000;

export const quoted = (v: unknown): string => JSON.stringify(v) ?? String(v);

/** A single-valued query parameter: an array means it was given twice; '' is an empty value. */
export const singleError =
  (otherwise: (input: unknown) => string) =>
  (iss: { input?: unknown }): string =>
    Array.isArray(iss.input) ? 'given more than once' : iss.input === '' ? 'empty value' : otherwise(iss.input);

/** An RFC 3339 time parameter (since, until), for every list route. */
export const TimestampParam = z.iso.datetime({
  offset: true,
  error: singleError((v) => `expected an RFC 3339 timestamp with zone, e.g. 2026-11-02T09:00:00Z, got ${quoted(v)}`),
});
const Timestamp = TimestampParam.optional();

/** `limit` of every paged list route: 1 to 1000. */
export const PageLimit = z
  .string({ error: singleError(quoted) })
  .min(1, 'empty value')
  .transform((s, ctx) => {
    const n = Number(s);
    if (!/^\d+$/.test(s) || n < 1 || n > 1000) {
      ctx.addIssue({ code: 'custom', message: `expected a whole number from 1 to 1000, got ${quoted(s)}` });
      return z.NEVER;
    }
    return n;
  })
  .meta({ description: 'page size, 1 to 1000 (default 100)', pattern: '^0*([1-9][0-9]{0,2}|1000)$' });

/** `cursor` of every paged list route: the previous page's next_cursor. */
export const PageCursor = z.string({ error: singleError(quoted) }).min(1, 'empty value');

/** `a,b` as a pattern, for the document (the transform below is what enforces it). */
const listPattern = (allowed: readonly string[]): string => {
  const one = `\\s*(${allowed.join('|')})\\s*`;
  return `^${one}(,${one})*$`;
};

/** A multi-valued parameter: repeated (`?status=new&status=acknowledged`) or comma-separated; values trimmed. */
function multi(allowed?: readonly string[]) {
  const meta = allowed ? { pattern: listPattern(allowed) } : { pattern: '^[^,]*\\S[^,]*(,[^,]*\\S[^,]*)*$' };
  return z
    .union([z.string().meta(meta), z.array(z.string().meta(meta)).min(1)])
    .transform((v, ctx) => {
      const values = (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim());
      if (values.some((s) => s === '')) {
        ctx.addIssue({ code: 'custom', message: 'empty value' });
        return z.NEVER;
      }
      const bad = allowed ? values.filter((s) => !allowed.includes(s)) : [];
      if (bad.length) {
        ctx.addIssue({ code: 'custom', message: `expected one of ${allowed?.join(', ')}, got ${bad.map(quoted).join(', ')}` });
        return z.NEVER;
      }
      return values;
    })
    .meta({ description: allowed ? `one or more of ${allowed.join(', ')}; repeated or comma-separated` : 'one or more values; repeated or comma-separated' })
    .optional();
}

/** Longest assignee, in characters. */
export const MAX_ASSIGNEE = 256;
/** `assignee=none` lists unassigned alerts (so nobody can be assigned under that name). */
export const UNASSIGNED = 'none';
/** Longest `q`, in characters. */
const MAX_Q_CHARS = MAX_Q_WORDS * (MAX_Q_WORD_CHARS + 1);
/** The API's order when none is asked for (api.md 1.1): the alerts active most recently first. */
export const DEFAULT_SORT = '-last_seen';

/** GET /v1/alerts query parameters (api.md). Unknown parameters are refused so a typo never widens a filter. */
export const AlertQuery = z.strictObject({
  since: Timestamp.meta({ description: 'alerts active at or after this time (last_seen >= since)' }),
  until: Timestamp.meta({ description: 'alerts that started before this time (first_seen < until)' }),
  severity: z
    .enum(SEVERITIES, { error: singleError((v) => `expected one of ${SEVERITIES.join(', ')}, got ${quoted(v)}`) })
    .meta({ description: 'minimum severity' })
    .optional(),
  category: multi(CATEGORIES),
  rule_id: multi(),
  agent_id: multi(),
  status: multi(ALERT_STATUSES),
  owner: multi().meta({ description: "the agent's owner (exact); repeated or comma-separated: any of them" }),
  assignee: z
    .string({ error: singleError(quoted) })
    .min(1, 'empty value')
    .max(MAX_ASSIGNEE, `at most ${MAX_ASSIGNEE} characters`)
    .transform((s) => (s === UNASSIGNED ? null : s))
    .meta({ description: `alerts assigned to this person (exact); \`${UNASSIGNED}\`: unassigned alerts` })
    .optional(),
  tag: multi().meta({ description: 'tags the alert must all carry; repeated or comma-separated' }),
  q: z
    .string({ error: singleError(quoted) })
    .max(MAX_Q_CHARS, `at most ${MAX_Q_CHARS} characters`)
    .transform((s, ctx) => {
      const words = s.split(/\s+/u).filter((w) => w !== '');
      if (words.length === 0) ctx.addIssue({ code: 'custom', message: 'expected at least one word' });
      else if (words.length > MAX_Q_WORDS) ctx.addIssue({ code: 'custom', message: `expected at most ${MAX_Q_WORDS} words, got ${words.length}` });
      const long = words.find((w) => [...w].length > MAX_Q_WORD_CHARS);
      if (long !== undefined) ctx.addIssue({ code: 'custom', message: `each word at most ${MAX_Q_WORD_CHARS} characters, got one of ${[...long].length}` });
      return words;
    })
    .meta({
      description: `words (at most ${MAX_Q_WORDS}, each at most ${MAX_Q_WORD_CHARS} characters) that must all appear, case-insensitively, in the title or the summary`,
    })
    .optional(),
  sort: z
    .enum(ALERT_SORTS, { error: singleError((v) => `expected one of ${ALERT_SORTS.join(', ')}, got ${quoted(v)}`) })
    .default(DEFAULT_SORT)
    .meta({ description: `order (ties broken by alert_id); a leading - is descending; default ${DEFAULT_SORT}` }),
  limit: PageLimit.optional(),
  cursor: PageCursor.meta({ description: 'next_cursor of the previous page' }).optional(),
  incident_id: z
    .string({ error: singleError(quoted) })
    .min(1, 'empty value')
    .meta({ description: "only this incident's alerts" })
    .optional(),
  format: z
    .enum(['json', 'ndjson'], { error: singleError((v) => `expected json or ndjson, got ${quoted(v)}`) })
    .meta({ description: 'ndjson streams every match (as does Accept: application/x-ndjson)' })
    .optional(),
});
export type AlertQuery = z.output<typeof AlertQuery>;

/** GET /v1/agents takes no parameters. */
export const NoQuery = z.strictObject({});

export const AlertIdParams = z.object({ alert_id: z.string().min(1, 'empty').meta({ description: 'the alert id' }) });

/** `*` is how fastify names a wildcard; the document calls it `agent_id` (see openapi.ts). */
export const AgentIdParams = z.object({
  '*': z.string().min(1, 'empty').meta({ description: 'the agent id, e.g. spiffe://corp.example/agents/a; its slashes may be %2F-encoded or not' }),
});
/** What a path parameter is called in errors and in the document, where fastify's name differs. */
export const PARAM_NAMES: Readonly<Record<string, string>> = { '*': 'agent_id' };

const STATUS_MESSAGE = `expected one of ${ALERT_STATUSES.join(', ')}`;
const COMMENT_MESSAGE = `expected a string of at most ${MAX_COMMENT} characters`;
export const NOT_AN_OBJECT = 'expected a JSON object {"status": "...", "comment": "...", "assignee": "..."} with Content-Type: application/json';
const ASSIGNEE_MESSAGE = `expected a name of 1 to ${MAX_ASSIGNEE} characters, or null to unassign`;

/** Who an alert is assigned to: a name (not \`none\`, which the list filter reserves), or null to unassign. */
export const Assignee = z
  .string({ error: () => ASSIGNEE_MESSAGE })
  .trim()
  .min(1, ASSIGNEE_MESSAGE)
  .max(MAX_ASSIGNEE, ASSIGNEE_MESSAGE)
  .refine((s) => s !== UNASSIGNED, `${JSON.stringify(UNASSIGNED)} is reserved (assignee=none lists unassigned alerts); use null to unassign`)
  .refine((s) => !/\p{Cc}/u.test(s), 'control characters are not allowed')
  .nullable()
  .meta({ description: 'who the alert is assigned to; null unassigns' });

/** POST /v1/alerts/{alert_id}/status body. */
export const AlertStatusBody = z.strictObject(
  {
    status: z.enum(ALERT_STATUSES, { error: () => STATUS_MESSAGE }),
    comment: z
      .string({ error: () => COMMENT_MESSAGE })
      .max(MAX_COMMENT, COMMENT_MESSAGE)
      .optional(),
    assignee: Assignee.optional(),
  },
  { error: (iss) => (iss.code === 'invalid_type' ? NOT_AN_OBJECT : undefined) },
);
export type AlertStatusBody = z.output<typeof AlertStatusBody>;

/** Which part of a request a schema checks (fastify's names). */
export type RequestPart = 'querystring' | 'params' | 'body' | 'headers';

/**
 * The first problem of a failed parse as the API's 400: unknown keys first (they are usually a typo that explains
 * the rest), then the first issue in schema order. Query and path parameters are `invalid_parameter` naming the
 * parameter; bodies are `invalid_body` naming the path.
 */
export function requestError(error: z.ZodError, part: RequestPart, known: readonly string[] = []): ApiError {
  const issues: core.$ZodIssue[] = error.issues;
  const unknownKeys = issues.find((i): i is core.$ZodIssueUnrecognizedKeys => i.code === 'unrecognized_keys');
  const isBody = part === 'body';
  if (unknownKeys && unknownKeys.path.length === 0) {
    const keys = unknownKeys.keys;
    if (isBody)
      return new ApiError(
        400,
        'invalid_body',
        `unknown key ${keys.join(', ')}`,
        keys.map((path) => ({ path, message: 'unknown key' })),
      );
    const expected = known.length ? `expected ${known.join(', ')}` : 'this route takes no parameters';
    return new ApiError(
      400,
      'invalid_parameter',
      `unknown parameter${keys.length > 1 ? 's' : ''} ${keys.join(', ')}; ${expected}`,
      keys.map((parameter) => ({ parameter, message: 'unknown parameter' })),
    );
  }
  const first = issues[0];
  const path = (first?.path ?? []).map(String);
  const message = first?.message ?? 'invalid';
  if (isBody) {
    if (path.length === 0) return new ApiError(400, 'invalid_body', message);
    const at = path.join('.');
    return new ApiError(400, 'invalid_body', `${at}: ${message}`, [{ path: at, message }]);
  }
  const name = path[0] ?? part;
  return badParam(PARAM_NAMES[name] ?? name, message);
}

/** Keys of an object schema, for "expected ..." in unknown-parameter errors. */
export const keysOf = (schema: z.ZodType): string[] => (schema instanceof z.ZodObject ? Object.keys(schema.shape) : []);
