import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import {
  type AdapterResult,
  createOtlpAdapter,
  decodeOtlpTraceBody,
  encodeExportTraceResponse,
  encodeOtlpStatus,
  OtlpDecodeError,
  otlpEncodingOf,
  type RecordAdapter,
  valueAtPath,
} from '@agentwatch/adapters';
import type { SourceItem } from '@agentwatch/detections';
import {
  ALERT_STATUSES,
  type Alert,
  type AlertStatus,
  CATEGORIES,
  type CanonicalEvent,
  parseEvent,
  parseEventJson,
  problemsToString,
  type Registry,
  type RegistryAgent,
  Rfc3339,
  SEVERITIES,
  type Severity,
} from '@agentwatch/schemas';
import { type AlertFilters, type AlertPage, InvalidCursorError, type RejectedRecord, type Store } from '@agentwatch/store';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import { ApiError, badParam, errorBody } from './errors.ts';
import { type ApiMetrics, createApiMetrics } from './metrics.ts';
import { type Role, roleAtLeast, type TokenStore, tokensEqual } from './tokens.ts';

/** Who made a request: the role of the token presented and an actor name for audit (alert status history). */
export interface Principal {
  role: Role;
  /** `token:<token_id>` or `bootstrap`. */
  actor: string;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Weakest role allowed on the route; unset: no token needed. */
    minRole?: Role;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export interface IngestResult {
  accepted: number;
  /**
   * `line`: 1-based position in the `items` given to ingest (the server maps it back to the request's line). Whoever
   * implements ingest keeps what it refuses (rejected_records, DLQ): the server only reports these.
   */
  rejected: Array<{ line: number; error: string }>;
  /** Events already stored with the same content (a retry): not stored or counted again, not an error. */
  duplicates?: number;
}

export interface ServerOptions {
  store: Store;
  /** Takes valid events (each `{event, timeMs}`) into the pipeline. */
  ingest: (items: SourceItem[]) => Promise<IngestResult>;
  tokens: TokenStore;
  /** `AGENTWATCH_BOOTSTRAP_TOKEN`, read by the caller at start-up: accepted as an admin token. Unset or empty: none. */
  bootstrapToken?: string | undefined;
  /** The registry in force (hot reload: called per request), e.g. `() => watcher.registry.source`. */
  registry?: () => Pick<Registry, 'agents'> | null | undefined;
  /** A pino logger (or any fastify-compatible one); false or unset: no logging. */
  logger?: FastifyBaseLogger | false;
  /** Readiness: stores reachable, registry loaded. /readyz answers 503 until it resolves true. */
  ready: () => Promise<boolean>;
  /** Largest POST /v1/events body in bytes (default 16 MiB). */
  eventsBodyLimit?: number;
  /** Supply to share counters with the pipeline (e.g. `alertsEmitted`); default a fresh set. */
  metrics?: ApiMetrics;
  /** Maps `POST /v1/traces` exports to canonical events: the OpenTelemetry adapter (default: default options). */
  otlpAdapter?: RecordAdapter;
  /**
   * Keeps what an adapter rejected, with the reason (a DLQ): in Kafka mode the DLQ topic, otherwise the store's
   * `rejected_records` table (the default). Awaited before the request is answered, so a rejected span is never lost.
   */
  keepRejected?: (records: RejectedRecord[]) => Promise<void>;
  /** Largest POST /v1/traces body in bytes, as sent and after gunzip (default 16 MiB). */
  tracesBodyLimit?: number;
}

/**
 * Minimum role per route (api.md). Reads are `viewer`; triage is `analyst`; ingest is `engineer`, because events feed
 * detections and the learned baselines (a forged stream can raise false alerts or teach a baseline to hide an attack),
 * so pushing them is an integration task, not a reading one. Token administration is the CLI's (`admin`).
 */
export const ROUTE_ROLES = {
  'POST /v1/events': 'engineer',
  'POST /v1/traces': 'engineer',
  'GET /v1/alerts': 'viewer',
  'GET /v1/alerts/:alert_id': 'viewer',
  'POST /v1/alerts/:alert_id/status': 'analyst',
  'GET /v1/agents': 'viewer',
  'GET /v1/agents/*': 'viewer',
  'GET /metrics': 'viewer',
} as const satisfies Record<string, Role>;

export const DEFAULT_EVENTS_BODY_LIMIT = 16 * 1024 * 1024;
const OTHER_BODY_LIMIT = 1024 * 1024;
const STREAM_PAGE = 1000;
const MAX_EVIDENCE_EVENTS = 1000;
const MAX_COMMENT = 10_000;

const ALERT_LIST_PARAMS = ['since', 'until', 'severity', 'category', 'rule_id', 'agent_id', 'status', 'limit', 'cursor', 'format'] as const;
const OPEN_STATUSES: AlertStatus[] = ['new', 'acknowledged'];

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
export function parseAlertQuery(q: Query): { filters: AlertFilters; format: 'json' | 'ndjson' | undefined } {
  const unknown = Object.keys(q).filter((k) => !(ALERT_LIST_PARAMS as readonly string[]).includes(k));
  if (unknown.length) {
    throw new ApiError(
      400,
      'invalid_parameter',
      `unknown parameter${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; expected ${ALERT_LIST_PARAMS.join(', ')}`,
      unknown.map((parameter) => ({ parameter, message: 'unknown parameter' })),
    );
  }
  const filters: AlertFilters = {};
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
  const format = single(q, 'format');
  if (format !== undefined && format !== 'json' && format !== 'ndjson') throw badParam('format', `expected json or ndjson, got ${JSON.stringify(format)}`);
  return { filters, format };
}

type Rejection = { line: number; error: string };

/** Splits an events body into valid items and per-line rejections. Lines are 1-based (NDJSON line, or JSON array position). */
export function parseEventsBody(body: string, kind: 'ndjson' | 'json'): { items: Array<{ line: number; item: SourceItem }>; rejected: Rejection[] } {
  const items: Array<{ line: number; item: SourceItem }> = [];
  const rejected: Rejection[] = [];
  const take = (line: number, r: ReturnType<typeof parseEvent>): void => {
    if (r.ok) items.push({ line, item: { event: r.value, timeMs: Date.parse(r.value.time) } });
    else rejected.push({ line, error: problemsToString(r.problems) });
  };
  if (kind === 'ndjson') {
    const lines = body.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const text = (lines[i] as string).replace(/\r$/, '');
      if (text.trim() === '') continue;
      take(i + 1, parseEventJson(text));
    }
    return { items, rejected };
  }
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (e) {
    throw new ApiError(400, 'invalid_body', `body is not valid JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(value)) throw new ApiError(400, 'invalid_body', 'expected a JSON array of events (or NDJSON with Content-Type: application/x-ndjson)');
  value.forEach((v, i) => {
    take(i + 1, parseEvent(v));
  });
  return { items, rejected };
}

/** Where POST /v1/traces rejects come from (`source` of a rejected record, the metrics' `source` label). */
export const TRACES_SOURCE = 'otlp_http';
/** At most this many reasons are named in a partial-success `errorMessage` (all are kept in the DLQ). */
const MAX_REASONS = 5;
const gunzipAsync = promisify(gunzip);

/**
 * The body as sent, uncompressed: `Content-Encoding: gzip` (OTLP/HTTP's only compression) is inflated up to
 * `limit` bytes (413 beyond, so a small zip bomb cannot fill memory); `identity` or none is taken as it is.
 */
async function uncompressed(body: Buffer, encoding: string | undefined, limit: number): Promise<Buffer> {
  const e = (encoding ?? '').trim().toLowerCase();
  if (e === '' || e === 'identity') return body;
  if (e !== 'gzip' && e !== 'x-gzip') {
    throw new ApiError(415, 'unsupported_media_type', `unsupported Content-Encoding ${JSON.stringify(encoding)}: expected gzip or none`, [
      { header: 'content-encoding' },
    ]);
  }
  try {
    return await gunzipAsync(body, { maxOutputLength: limit });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_BUFFER_TOO_LARGE') throw new ApiError(413, 'payload_too_large', `the body is larger than ${limit} bytes once uncompressed`);
    throw new ApiError(400, 'invalid_body', `Content-Encoding: gzip, but the body does not inflate: ${err.message}`);
  }
}

/** The partial-success message: how many spans were rejected and the first few reasons, each with its span. */
function rejectionMessage(rejects: AdapterResult['rejects'], total: number): string {
  const reasons = rejects.slice(0, MAX_REASONS).map((r) => (r.path && !r.reason.startsWith(r.path) ? `${r.path}: ${r.reason}` : r.reason));
  const more = rejects.length > MAX_REASONS ? `; and ${rejects.length - MAX_REASONS} more` : '';
  return `${rejects.length} of ${total} spans rejected (kept with their reason): ${reasons.join('; ')}${more}`;
}

const wantsNdjson = (req: FastifyRequest, format: 'json' | 'ndjson' | undefined): boolean =>
  format === 'ndjson' || (format === undefined && /\bapplication\/x-ndjson\b/i.test(req.headers.accept ?? ''));

interface AgentActivity {
  first_seen: string;
  last_seen: string;
  events: number;
}
interface AgentAlerts {
  total: number;
  open: number;
  max_severity: Severity | null;
}
export interface AgentView {
  agent_id: string;
  registered: boolean;
  registry: RegistryAgent | null;
  activity: AgentActivity | null;
  alerts: AgentAlerts;
}

/** Builds the API server (routes registered, not listening). Call `.listen()` or `.inject()`; `.close()` does not close the store. */
export function buildServer(opts: ServerOptions): FastifyInstance {
  const { store, tokens } = opts;
  const db = store.database;
  const metrics = opts.metrics ?? createApiMetrics();
  const bootstrap = opts.bootstrapToken ? opts.bootstrapToken : undefined;
  const eventsBodyLimit = opts.eventsBodyLimit ?? DEFAULT_EVENTS_BODY_LIMIT;

  const app = Fastify({
    ...(opts.logger ? { loggerInstance: opts.logger } : { logger: false }),
    bodyLimit: OTHER_BODY_LIMIT,
    // Agent ids are URIs (`spiffe://...`): allow long paths.
    routerOptions: { maxParamLength: 2048 },
  }) as unknown as FastifyInstance;

  const q = async <T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> => {
    const rs = await store.client.query({ query, format: 'JSONEachRow', query_params: params });
    return rs.json<T>();
  };

  app.decorateRequest('principal', null);
  // JSON bodies only (the events route has its own parsers).
  app.removeContentTypeParser('text/plain');

  // --- errors: always {"error": {code, message, details}}; 4xx for the caller's mistakes, 5xx only for ours.
  const errorReply = (err: FastifyError | ApiError | Error, req: FastifyRequest): { status: number; body: ReturnType<typeof errorBody> } => {
    if (err instanceof ApiError) return { status: err.status, body: errorBody(err.code, err.message, err.details) };
    if (err instanceof InvalidCursorError)
      return { status: 400, body: errorBody('invalid_parameter', `cursor: ${err.message}`, [{ parameter: 'cursor', message: err.message }]) };
    const fe = err as FastifyError;
    switch (fe.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return { status: 413, body: errorBody('payload_too_large', fe.message) };
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return {
          status: 415,
          body: errorBody('unsupported_media_type', `unsupported Content-Type ${JSON.stringify(req.headers['content-type'] ?? '')}`, [
            { header: 'content-type' },
          ]),
        };
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return { status: 400, body: errorBody('empty_body', 'the body is empty') };
    }
    const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
    if (status >= 400 && status < 500) return { status, body: errorBody('bad_request', fe.message) };
    req.log.error({ err }, 'request failed');
    return { status: 500, body: errorBody('internal', 'internal error; see the server log') };
  };
  app.setErrorHandler((err: FastifyError | ApiError | Error, req, reply) => {
    const { status, body } = errorReply(err, req);
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send(errorBody('not_found', `no route ${req.method} ${req.url.split('?')[0]}`));
  });

  // --- auth, before the body is read (so an unauthenticated upload is refused without reading it).
  app.addHook('onRequest', async (req, reply) => {
    const need = req.routeOptions.config?.minRole;
    if (!need) return;
    const header = req.headers.authorization;
    const m = typeof header === 'string' ? /^Bearer[ ]+(\S+)\s*$/i.exec(header) : null;
    const unauthorized = (message: string) => {
      reply.header('www-authenticate', 'Bearer realm="agentwatch"');
      throw new ApiError(401, 'unauthorized', message);
    };
    if (!m) return unauthorized(header ? 'expected Authorization: Bearer <token>' : 'missing Authorization: Bearer <token>');
    const token = m[1] as string;
    let principal: Principal | null = null;
    if (bootstrap && tokensEqual(token, bootstrap)) principal = { role: 'admin', actor: 'bootstrap' };
    else {
      const info = await tokens.verify(token);
      if (info) principal = { role: info.role, actor: `token:${info.token_id}` };
    }
    if (!principal) return unauthorized('unknown or revoked token');
    if (!roleAtLeast(principal.role, need)) {
      throw new ApiError(403, 'forbidden', `this route needs the ${need} role or above; the token has ${principal.role}`, [
        { required_role: need, role: principal.role },
      ]);
    }
    req.principal = principal;
  });
  app.addHook('onResponse', async (req, reply) => {
    metrics.httpRequests.inc({ method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) });
  });

  // --- health
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (req, reply) => {
    let ok = false;
    try {
      ok = await opts.ready();
    } catch (err) {
      req.log.warn({ err }, 'readiness check failed');
    }
    if (ok) return { status: 'ready' };
    return reply.code(503).send(errorBody('not_ready', 'not ready: stores or registry not available yet'));
  });
  app.get('/metrics', { config: { minRole: ROUTE_ROLES['GET /metrics'] } }, async (_req, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });

  // --- ingest, in its own scope so its body parsers (raw text, own size limit) apply to it alone.
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(['application/x-ndjson', 'application/json'], { parseAs: 'string', bodyLimit: eventsBodyLimit }, (_req, body, done) => {
      done(null, body);
    });
    scope.post('/v1/events', { bodyLimit: eventsBodyLimit, config: { minRole: ROUTE_ROLES['POST /v1/events'] } }, async (req, reply) => {
      const body = typeof req.body === 'string' ? req.body : '';
      const ct = (req.headers['content-type'] ?? '').toLowerCase();
      const none = (code: string, message: string, rejected: Rejection[]) => {
        metrics.eventsRejected.inc(rejected.length);
        return reply.code(400).send({ accepted: 0, rejected, ...errorBody(code, message, rejected) });
      };
      if (body.trim() === '') return none('empty_body', 'the body is empty: expected NDJSON events or a JSON array of events', []);
      let parsed: ReturnType<typeof parseEventsBody>;
      try {
        parsed = parseEventsBody(body, ct.startsWith('application/x-ndjson') ? 'ndjson' : 'json');
      } catch (e) {
        if (e instanceof ApiError) return none(e.code, e.message, [{ line: 1, error: e.message }]);
        throw e;
      }
      let accepted = 0;
      let duplicates = 0;
      const rejected = [...parsed.rejected];
      if (parsed.items.length > 0) {
        const res = await opts.ingest(parsed.items.map((p) => p.item));
        accepted = res.accepted;
        duplicates = res.duplicates ?? 0;
        for (const r of res.rejected) rejected.push({ line: parsed.items[r.line - 1]?.line ?? r.line, error: r.error });
        rejected.sort((a, b) => a.line - b.line);
      }
      // Only duplicates (a retried request): accepted before, so not an error.
      if (accepted === 0 && duplicates === 0) return none('no_valid_events', `no event accepted (${rejected.length} rejected)`, rejected);
      metrics.eventsAccepted.inc(accepted);
      metrics.eventsRejected.inc(rejected.length);
      return reply.code(202).send({ accepted, rejected, duplicates });
    });
  });

  // --- OTLP/HTTP traces (api.md): mapped by the OpenTelemetry adapter, then the same ingest as /v1/events.
  const otlpAdapter = opts.otlpAdapter ?? createOtlpAdapter();
  const keepRejected = opts.keepRejected ?? ((records: RejectedRecord[]) => store.insertRejectedRecords(records));
  const tracesBodyLimit = opts.tracesBodyLimit ?? DEFAULT_EVENTS_BODY_LIMIT;
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      ['application/x-protobuf', 'application/protobuf', 'application/json'],
      { parseAs: 'buffer', bodyLimit: tracesBodyLimit },
      (_req, body, done) => {
        done(null, body);
      },
    );
    // OTLP/HTTP: an error body is a google.rpc.Status in the request's encoding. JSON answers also carry api.md's `error`.
    scope.setErrorHandler((err: FastifyError | ApiError | Error, req, reply) => {
      const { status, body } = errorReply(err, req);
      const encoding = otlpEncodingOf(req.headers['content-type']);
      if (encoding === 'protobuf')
        return reply
          .code(status)
          .type('application/x-protobuf')
          .send(Buffer.from(encodeOtlpStatus(status, body.error.message, 'protobuf') as Uint8Array));
      return reply.code(status).send({ ...(encodeOtlpStatus(status, body.error.message, 'json') as object), ...body });
    });
    scope.post('/v1/traces', { bodyLimit: tracesBodyLimit, config: { minRole: ROUTE_ROLES['POST /v1/traces'] } }, async (req, reply) => {
      const contentType = req.headers['content-type'];
      const encoding = otlpEncodingOf(contentType);
      const sent = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const body = await uncompressed(sent, req.headers['content-encoding'], tracesBodyLimit);
      let request: unknown;
      try {
        request = decodeOtlpTraceBody(body, contentType);
      } catch (e) {
        if (e instanceof OtlpDecodeError) throw new ApiError(e.httpStatus, e.httpStatus === 415 ? 'unsupported_media_type' : 'invalid_body', e.message);
        throw e;
      }
      const result = otlpAdapter.map(request);
      const rejects = [...result.rejects];
      const receivedAtMs = Date.now();
      const rawOf = (path: string | undefined): string => JSON.stringify((path ? valueAtPath(request, path) : undefined) ?? request) ?? '';
      const items: SourceItem[] = result.events.map((event) => ({ event, timeMs: Date.parse(event.time) }));
      const unavailable = (what: string, err: unknown) => {
        req.log.error({ err }, `POST /v1/traces: ${what} failed`);
        reply.header('retry-after', '1');
        // Retryable for OTLP clients; the event ids are stable, so a retry cannot count a span twice in storage.
        return new ApiError(503, 'unavailable', `${what} failed; retry later`);
      };
      // Rejects are kept before anything is accepted: an answer never hides a lost span.
      if (rejects.length > 0) {
        try {
          await keepRejected(
            rejects.map((r) => ({ source: TRACES_SOURCE, format: 'otlp', reason: r.reason, path: r.path ?? '', raw: rawOf(r.path), receivedAtMs })),
          );
        } catch (err) {
          throw unavailable('keeping the rejected spans', err);
        }
      }
      let accepted = 0;
      if (items.length > 0) {
        let res: IngestResult;
        try {
          res = await opts.ingest(items);
        } catch (err) {
          throw unavailable('ingest', err);
        }
        accepted = items.length - res.rejected.length - (res.duplicates ?? 0);
        // Mapped events the pipeline refused (the store could not take them, or a conflicting duplicate): already kept
        // by the ingest with the reason; a partial success, not a 5xx (a retry would be refused the same way).
        for (const r of res.rejected) rejects.push({ reason: r.error });
      }
      metrics.adapterEvents.inc({ source: TRACES_SOURCE }, accepted);
      metrics.adapterRejected.inc({ source: TRACES_SOURCE }, rejects.length);
      metrics.adapterSkipped.inc({ source: TRACES_SOURCE }, result.skipped);
      const total = result.rejects.length + result.events.length + result.skipped;
      const partial = rejects.length > 0 ? { rejectedSpans: rejects.length, errorMessage: rejectionMessage(rejects, total) } : null;
      const answer = encodeExportTraceResponse(partial, encoding);
      if (encoding === 'protobuf')
        return reply
          .code(200)
          .type('application/x-protobuf')
          .send(Buffer.from(answer as Uint8Array));
      return reply.code(200).type('application/json').send(answer);
    });
  });

  // --- alerts
  app.get('/v1/alerts', { config: { minRole: ROUTE_ROLES['GET /v1/alerts'] } }, async (req, reply) => {
    const { filters, format } = parseAlertQuery(req.query as Query);
    if (!wantsNdjson(req, format)) return store.queryAlerts(filters) satisfies Promise<AlertPage>;
    // NDJSON: every match, paged through the store. The first page is read before answering, so a bad cursor is a 400.
    const pageFilters: AlertFilters = { ...filters, limit: filters.limit ?? STREAM_PAGE };
    const first = await store.queryAlerts(pageFilters);
    const log = req.log;
    async function* lines(): AsyncGenerator<string> {
      let page: AlertPage = first;
      for (;;) {
        if (page.alerts.length) yield `${page.alerts.map((a) => JSON.stringify(a)).join('\n')}\n`;
        if (!page.next_cursor) return;
        try {
          page = await store.queryAlerts({ ...pageFilters, cursor: page.next_cursor });
        } catch (err) {
          log.error({ err }, 'alert stream failed mid-way');
          throw err;
        }
      }
    }
    return reply.type('application/x-ndjson; charset=utf-8').send(Readable.from(lines()));
  });

  const fetchEvents = async (ids: string[]): Promise<CanonicalEvent[]> => {
    if (ids.length === 0) return [];
    const rows = await q<{ raw: string }>(
      `SELECT raw FROM ${db}.events FINAL WHERE event_id IN {ids:Array(String)} ORDER BY time, event_id LIMIT {lim:UInt32}`,
      { ids: ids.slice(0, MAX_EVIDENCE_EVENTS), lim: MAX_EVIDENCE_EVENTS },
    );
    return rows.map((r) => JSON.parse(r.raw) as CanonicalEvent);
  };

  app.get<{ Params: { alert_id: string } }>('/v1/alerts/:alert_id', { config: { minRole: ROUTE_ROLES['GET /v1/alerts/:alert_id'] } }, async (req) => {
    const id = req.params.alert_id;
    const alert = await store.getAlert(id);
    if (!alert) throw new ApiError(404, 'not_found', `no alert ${JSON.stringify(id)}`, [{ parameter: 'alert_id' }]);
    const [events, history] = await Promise.all([fetchEvents(alert.evidence.event_ids), store.getAlertHistory(id)]);
    return { alert, events, history };
  });

  app.post<{ Params: { alert_id: string } }>(
    '/v1/alerts/:alert_id/status',
    { config: { minRole: ROUTE_ROLES['POST /v1/alerts/:alert_id/status'] } },
    async (req) => {
      const body = req.body;
      if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
        throw new ApiError(400, 'invalid_body', 'expected a JSON object {"status": "...", "comment": "..."} with Content-Type: application/json');
      }
      const b = body as Record<string, unknown>;
      const unknown = Object.keys(b).filter((k) => k !== 'status' && k !== 'comment');
      if (unknown.length)
        throw new ApiError(
          400,
          'invalid_body',
          `unknown key ${unknown.join(', ')}`,
          unknown.map((path) => ({ path, message: 'unknown key' })),
        );
      const status = b['status'];
      if (typeof status !== 'string' || !(ALERT_STATUSES as readonly string[]).includes(status)) {
        const message = `expected one of ${ALERT_STATUSES.join(', ')}`;
        throw new ApiError(400, 'invalid_body', `status: ${message}`, [{ path: 'status', message }]);
      }
      const comment = b['comment'] ?? '';
      if (typeof comment !== 'string' || comment.length > MAX_COMMENT) {
        const message = `expected a string of at most ${MAX_COMMENT} characters`;
        throw new ApiError(400, 'invalid_body', `comment: ${message}`, [{ path: 'comment', message }]);
      }
      const id = req.params.alert_id;
      const alert: Alert | null = await store.updateAlertStatus(id, status as AlertStatus, comment, req.principal?.actor ?? 'unknown', Date.now());
      if (!alert) throw new ApiError(404, 'not_found', `no alert ${JSON.stringify(id)}`, [{ parameter: 'alert_id' }]);
      metrics.alertStatusChanges.inc({ status });
      return { alert, history: await store.getAlertHistory(id) };
    },
  );

  // --- agents: registry entries plus actors seen in events or alerts that the registry does not list.
  const agentViews = async (agentId?: string): Promise<AgentView[]> => {
    const where = agentId === undefined ? '' : 'WHERE agent_id = {id:String}';
    const params = agentId === undefined ? {} : { id: agentId };
    const [activity, alerts] = await Promise.all([
      q<{ agent_id: string; first_ms: string; last_ms: string; events: string }>(
        `SELECT agent_id, toUnixTimestamp64Milli(min(time)) AS first_ms, toUnixTimestamp64Milli(max(time)) AS last_ms, uniqExact(event_id) AS events
         FROM ${db}.events ${where} GROUP BY agent_id`,
        params,
      ),
      q<{ agent_id: string; total: string; open: string; max_rank: number }>(
        `SELECT agent_id, count() AS total, countIf(status IN {open:Array(String)}) AS open, max(severity_rank) AS max_rank
         FROM ${db}.alerts FINAL ${where} GROUP BY agent_id`,
        { ...params, open: OPEN_STATUSES },
      ),
    ]);
    const registered = new Map<string, RegistryAgent>();
    for (const a of opts.registry?.()?.agents ?? []) if (agentId === undefined || a.id === agentId) registered.set(a.id, a);
    const views = new Map<string, AgentView>();
    const view = (id: string): AgentView => {
      let v = views.get(id);
      if (!v) {
        const entry = registered.get(id) ?? null;
        v = { agent_id: id, registered: entry !== null, registry: entry, activity: null, alerts: { total: 0, open: 0, max_severity: null } };
        views.set(id, v);
      }
      return v;
    };
    for (const id of registered.keys()) view(id);
    for (const r of activity) {
      view(r.agent_id).activity = {
        first_seen: new Date(Number(r.first_ms)).toISOString(),
        last_seen: new Date(Number(r.last_ms)).toISOString(),
        events: Number(r.events),
      };
    }
    for (const r of alerts) {
      view(r.agent_id).alerts = { total: Number(r.total), open: Number(r.open), max_severity: SEVERITIES[Number(r.max_rank)] ?? null };
    }
    return [...views.values()].sort((a, b) => (a.agent_id < b.agent_id ? -1 : a.agent_id > b.agent_id ? 1 : 0));
  };

  app.get('/v1/agents', { config: { minRole: ROUTE_ROLES['GET /v1/agents'] } }, async (req) => {
    const unknown = Object.keys(req.query as Query);
    if (unknown.length) throw badParam(unknown[0] as string, 'unknown parameter');
    return { agents: await agentViews() };
  });
  // A wildcard, so agent ids that are URIs work whether their slashes are %2F-encoded or not.
  app.get<{ Params: { '*': string } }>('/v1/agents/*', { config: { minRole: ROUTE_ROLES['GET /v1/agents/*'] } }, async (req) => {
    const id = req.params['*'];
    if (!id) throw badParam('agent_id', 'empty');
    const [agent] = await agentViews(id);
    if (!agent) throw new ApiError(404, 'not_found', `no agent ${JSON.stringify(id)} in the registry, events or alerts`, [{ parameter: 'agent_id' }]);
    return { agent };
  });

  return app;
}
