import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import {
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
import { MAX_EVENT_BYTES, type Registry } from '@agentwatch/schemas';
import { InvalidCursorError, type RegistryVersionSummary, type RejectedRecord, type Store } from '@agentwatch/store';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { ApiError, errorBody } from './errors.ts';
import {
  DEFAULT_INGEST_SLICE_EVENTS,
  DEFAULT_MAX_EVENTS_PER_REQUEST,
  decodedBody,
  type EventsBodyLimits,
  type EventsBodyResult,
  eventsBodyFormat,
  ingestInSlices,
  rawOfItem,
  readEventsBody,
} from './ingest-body.ts';
import { createScrubber, secretSafeSerializers } from './log-redaction.ts';
import { type ApiMetrics, createApiMetrics } from './metrics.ts';
import { buildOpenApiDocument, type DocumentedRoute } from './openapi.ts';
import { credentialQueryParameter } from './query-credentials.ts';
import { clipText, KeepRejectedError, MAX_ANSWER_ERROR_CHARS, type Rejection, RejectKeeper, rawText } from './reject-keeper.ts';
import { keysOf, type RequestPart, requestError } from './request-schemas.ts';
import { ROUTE_ROLES } from './route-roles.ts';
import { ROUTE_SCHEMAS, type RouteSchema } from './route-schemas.ts';
import { registerAdminRoutes } from './routes/admin.ts';
import { registerConsole } from './routes/console.ts';
import type { ExporterView } from './routes/exporter-schemas.ts';
import { registerExporterRoutes } from './routes/exporters.ts';
import { registerIncidentRoutes } from './routes/incidents.ts';
import { registerSuppressionRoutes, type SuppressionRouteOptions } from './routes/suppressions.ts';
import { registerTriageRoutes } from './routes/triage.ts';

export { type AgentView, parseAlertQuery } from './routes/triage.ts';
export { ROUTE_ROLES };

import { isExpired, type Role, roleAtLeast, type TokenInfo, type TokenStore, tokensEqual } from './tokens.ts';

/** Who made a request: the role of the token presented and an actor name for audit (alert status history). */
export interface Principal {
  role: Role;
  /** `token:<token_id>` or `bootstrap`. */
  actor: string;
  /** The stored token presented; null for the bootstrap token (not in the token table). */
  token: TokenInfo | null;
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
  registry?: () => (Pick<Registry, 'agents'> & Partial<Pick<Registry, 'people'>>) | null | undefined;
  /** The version of the registry in force (GET /v1/registry): SHA-256 of its file's text, load time, agents, file. */
  registryVersion?: () => RegistryVersionSummary | null | undefined;
  /** The detection config's `max_future_skew` in ms: activity views count a later claim at its arrival (default 5 min). */
  maxFutureSkewMs?: number;
  /** A pino logger (or any fastify-compatible one); false or unset: no logging. */
  logger?: FastifyBaseLogger | false;
  /**
   * Readiness: stores reachable, registry loaded, Kafka connected. /readyz answers 503 until it resolves true; a
   * `reason` (e.g. "kafka: waiting for the broker (...)") is passed on in the 503's message.
   */
  ready: () => Promise<boolean | { ready: false; reason: string }>;
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
  /** Largest POST /v1/traces body in bytes, as sent and after gunzip (default 2 MiB, {@link DEFAULT_TRACES_BODY_LIMIT}). */
  tracesBodyLimit?: number;
  /**
   * Serve HTTPS with this certificate chain and private key (PEM, already read and checked by the caller). With
   * `clientCa`, a client must present a certificate signed by it (mutual TLS), on every route including /healthz.
   */
  https?: { cert: string | Buffer; key: string | Buffer; clientCa?: string | Buffer };
  /** Most events read from one POST /v1/events body (default 100,000); the rest is one rejection. */
  maxEventsPerRequest?: number;
  /** Events per `ingest` call when a body holds many (default 2,000): the loop is yielded between calls. */
  ingestSliceEvents?: number;
  /** Suppression routes: `suppression_max_days` and how the engines learn of a change (routes/suppressions.ts). */
  suppressions?: SuppressionRouteOptions;
  /** GET /v1/exporters: where each configured exporter stands (none: an empty list). */
  exporters?: () => Promise<ExporterView[]>;
}

/** The api.md version this server implements (the OpenAPI document's `info.version`). */
export const API_VERSION = '1.1';
export const DEFAULT_EVENTS_BODY_LIMIT = 16 * 1024 * 1024;
const OTHER_BODY_LIMIT = 1024 * 1024;
async function* noBody(): AsyncGenerator<Buffer> {}

/** Where POST /v1/events rejects come from (`source` of a rejected record). */
export const EVENTS_SOURCE = 'http_events';

/** A 503 for a failure of our stores (retryable: the client sends the same body again). */
function unavailable(reply: FastifyReply, req: FastifyRequest, what: string, err: unknown): ApiError {
  req.log.error({ err }, `${req.method} ${req.routeOptions.url}: ${what} failed`);
  reply.header('retry-after', '1');
  return new ApiError(503, 'unavailable', `${what} failed; retry later`);
}

/** Where POST /v1/traces rejects come from (`source` of a rejected record, the metrics' `source` label). */
export const TRACES_SOURCE = 'otlp_http';
/** At most this many reasons are named in a partial-success `errorMessage` (all are kept in the DLQ). */
const MAX_REASONS = 5;
const gunzipAsync = promisify(gunzip);
/**
 * Largest POST /v1/traces body by default, as sent and inflated. Decoding and mapping run in one piece (measured by
 * bench:hostile: a valid 4 MiB OTLP/protobuf export held the loop ~0.8 s, JSON ~0.25 s), so the limit keeps that
 * near 0.4 s; OTel SDK and Collector batches are usually far smaller. Raise it with `tracesBodyLimit`.
 */
export const DEFAULT_TRACES_BODY_LIMIT = 2 * 1024 * 1024;
const rawOfBytes = (bytes: Buffer) => ({ raw: rawText(bytes), rawBytes: bytes.length });

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

/** The partial-success message: how many spans were rejected and the first few reasons (each already cut short). */
function rejectionMessage(listed: readonly Rejection[], count: number, total: number): string {
  const reasons = listed.slice(0, MAX_REASONS).map((r) => (r.path && !r.error.startsWith(r.path) ? `${r.path}: ${r.error}` : r.error));
  const more = count > MAX_REASONS ? `; and ${count - MAX_REASONS} more` : '';
  return `${count} of ${total} spans rejected (kept with their reason): ${reasons.join('; ')}${more}`;
}

/** Builds the API server (routes registered, not listening). Call `.listen()` or `.inject()`; `.close()` does not close the store. */
export function buildServer(opts: ServerOptions): FastifyInstance {
  const { store, tokens } = opts;
  const metrics = opts.metrics ?? createApiMetrics();
  const bootstrap = opts.bootstrapToken ? opts.bootstrapToken : undefined;
  const eventsBodyLimit = opts.eventsBodyLimit ?? DEFAULT_EVENTS_BODY_LIMIT;

  // Whatever logger is given, requests are logged without query string or headers, errors without raw bytes or secrets.
  const serializers = secretSafeSerializers(createScrubber([bootstrap]));
  const app = Fastify({
    ...(opts.logger ? { loggerInstance: opts.logger.child({}, { serializers }) } : { logger: false }),
    ...(opts.https
      ? {
          https: {
            cert: opts.https.cert,
            key: opts.https.key,
            ...(opts.https.clientCa ? { ca: opts.https.clientCa, requestCert: true, rejectUnauthorized: true } : {}),
          },
        }
      : {}),
    bodyLimit: OTHER_BODY_LIMIT,
    // Agent ids are URIs (`spiffe://...`): allow long paths.
    routerOptions: { maxParamLength: 2048 },
  }) as unknown as FastifyInstance;

  app.decorateRequest('principal', null);
  // Route schemas are zod (route-schemas.ts): validate with them, answering our 400s, and list every route for
  // /openapi.json. Routes registered later in nested scopes reach this hook too.
  app.setValidatorCompiler<z.ZodType>(({ schema, httpPart }) => (data: unknown) => {
    const r = schema.safeParse(data ?? undefined);
    return r.success ? { value: r.data } : { error: requestError(r.error, (httpPart ?? 'body') as RequestPart, keysOf(schema)) };
  });
  const routes: DocumentedRoute[] = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) routes.push({ method, url: r.url, schema: r.schema as RouteSchema | undefined, minRole: r.config?.minRole });
  });
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

  // --- credentials travel in the Authorization header only: one in the URL is refused on every route (its value is
  // neither echoed nor logged), so a client that tries it learns at once instead of leaking it with each request.
  app.addHook('onRequest', async (req) => {
    const parameter = credentialQueryParameter(req.url);
    if (parameter === undefined) return;
    throw new ApiError(
      400,
      'credentials_in_query',
      `query parameter ${JSON.stringify(parameter)}: credentials are not accepted in the URL; send the token as Authorization: Bearer <token> (a token sent in a URL may have been recorded on the way: consider revoking it)`,
      [{ parameter, message: 'credentials belong in the Authorization header' }],
    );
  });

  // --- auth, before the body is read (so an unauthenticated upload is refused without reading it).
  // The Authorization header is the only place a token is read from.
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
    if (bootstrap && tokensEqual(token, bootstrap)) principal = { role: 'admin', actor: 'bootstrap', token: null };
    else {
      const info = await tokens.verify(token);
      // Expired from its expiry on, by this server's clock (api.md 1.1: tokens with expires_at).
      if (info && isExpired(info, Date.now())) return unauthorized(`token expired at ${info.expires_at}`);
      if (info) principal = { role: info.role, actor: `token:${info.token_id}`, token: info };
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
  app.get('/healthz', { schema: ROUTE_SCHEMAS['GET /healthz'] }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: ROUTE_SCHEMAS['GET /readyz'] }, async (req, reply) => {
    let ok: boolean | { ready: false; reason: string } = false;
    try {
      ok = await opts.ready();
    } catch (err) {
      req.log.warn({ err }, 'readiness check failed');
    }
    if (ok === true) return { status: 'ready' };
    const reason = ok === false ? 'stores or registry not available yet' : ok.reason;
    return reply.code(503).send(errorBody('not_ready', `not ready: ${reason}`));
  });
  app.get('/metrics', { schema: ROUTE_SCHEMAS['GET /metrics'], config: { minRole: ROUTE_ROLES['GET /metrics'] } }, async (_req, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });

  // --- ingest, in its own scope so its body parser (the raw stream, read by ingest-body.ts with its limits) applies to it alone.
  const keepRejected = opts.keepRejected ?? ((records: RejectedRecord[]) => store.insertRejectedRecords(records));
  const eventsLimits: EventsBodyLimits = {
    maxBodyBytes: eventsBodyLimit,
    maxEventBytes: MAX_EVENT_BYTES,
    maxEvents: opts.maxEventsPerRequest ?? DEFAULT_MAX_EVENTS_PER_REQUEST,
  };
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(['application/x-ndjson', 'application/json'], (_req, payload, done) => {
      done(null, payload);
    });
    scope.post('/v1/events', { schema: ROUTE_SCHEMAS['POST /v1/events'], config: { minRole: ROUTE_ROLES['POST /v1/events'] } }, async (req, reply) => {
      const format = eventsBodyFormat(req.headers['content-type']);
      const rejects = new RejectKeeper({ keep: keepRejected, source: EVENTS_SOURCE, format, receivedAtMs: Date.now() });
      // Events whose event_id was stored before with the same content (a retry): not stored or counted again.
      let duplicates = 0;
      const answer = (status: number, accepted: number, error?: { code: string; message: string }) => {
        metrics.eventsAccepted.inc(accepted);
        metrics.eventsRejected.inc(rejects.count);
        const rejected = [...rejects.listed].sort((a, b) => a.line - b.line).map((r) => ({ line: r.line, error: r.error }));
        const base = { accepted, rejected, rejected_count: rejects.count, duplicates };
        return reply.code(status).send(error ? { ...base, ...errorBody(error.code, error.message, rejected) } : base);
      };
      let parsed: EventsBodyResult;
      try {
        if (Number(req.headers['content-length']) > eventsBodyLimit)
          throw new ApiError(413, 'payload_too_large', `the body is larger than ${eventsBodyLimit} bytes`);
        const stream = req.body as NodeJS.ReadableStream | undefined;
        parsed = await readEventsBody(stream ? decodedBody(stream, req.headers['content-encoding']) : noBody(), { format, limits: eventsLimits, rejects });
      } catch (e) {
        // The rest of the body is left unread: the connection closes after the answer.
        if (e instanceof ApiError && e.status === 413) reply.header('connection', 'close');
        if (e instanceof KeepRejectedError) throw unavailable(reply, req, 'keeping the rejected events', e.cause);
        throw e;
      }
      if (parsed.records === 0) return answer(400, 0, { code: 'empty_body', message: 'the body is empty: expected NDJSON events or a JSON array of events' });
      let accepted = 0;
      if (parsed.items.length > 0) {
        const res = await ingestInSlices(parsed.items, opts.ingest, opts.ingestSliceEvents ?? DEFAULT_INGEST_SLICE_EVENTS);
        accepted = res.accepted;
        duplicates = res.duplicates;
        // Refused by the pipeline (a row the store could not take, a conflicting duplicate): it kept them already.
        for (const r of res.rejected) rejects.report({ line: r.line, error: r.error, path: `${format === 'ndjson' ? 'line' : 'element'} ${r.line}` });
      }
      // Only duplicates (a retried request): accepted before, so not an error.
      if (accepted > 0 || duplicates > 0) return answer(202, accepted);
      if (parsed.malformed)
        return answer(400, 0, { code: 'invalid_body', message: `no event accepted (${rejects.count} rejected): ${rejects.listed[0]?.error ?? ''}` });
      return answer(400, 0, { code: 'no_valid_events', message: `no event accepted (${rejects.count} rejected)` });
    });
  });

  // --- OTLP/HTTP traces (api.md): mapped by the OpenTelemetry adapter, then the same ingest as /v1/events.
  const otlpAdapter = opts.otlpAdapter ?? createOtlpAdapter();
  const tracesBodyLimit = opts.tracesBodyLimit ?? DEFAULT_TRACES_BODY_LIMIT;
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
    scope.post(
      '/v1/traces',
      { schema: ROUTE_SCHEMAS['POST /v1/traces'], bodyLimit: tracesBodyLimit, config: { minRole: ROUTE_ROLES['POST /v1/traces'] } },
      async (req, reply) => {
        const contentType = req.headers['content-type'];
        const encoding = otlpEncodingOf(contentType);
        const sent = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const body = await uncompressed(sent, req.headers['content-encoding'], tracesBodyLimit);
        let request: unknown;
        try {
          request = decodeOtlpTraceBody(body, contentType);
        } catch (e) {
          if (e instanceof OtlpDecodeError)
            throw new ApiError(e.httpStatus, e.httpStatus === 415 ? 'unsupported_media_type' : 'invalid_body', clipText(e.message, MAX_ANSWER_ERROR_CHARS));
          throw e;
        }
        const result = otlpAdapter.map(request);
        const receivedAtMs = Date.now();
        const rejects = new RejectKeeper({ keep: keepRejected, source: TRACES_SOURCE, format: 'otlp', receivedAtMs });
        // The span a reject is about, as JSON cut to the kept size (the whole body's first bytes when it names none).
        const rawOf = (path: string | undefined) =>
          rawOfBytes(
            path ? Buffer.from(JSON.stringify(valueAtPath(request, path) ?? null) ?? '') : encoding === 'json' ? body : Buffer.from(body.toString('base64')),
          );
        // A mapped event over the per-event limit is rejected like an oversized /v1/events record.
        const items: SourceItem[] = [];
        const oversized: Array<{ reason: string; raw: string; rawBytes: number }> = [];
        for (const event of result.events) {
          const size = Buffer.byteLength(JSON.stringify(event));
          if (size > MAX_EVENT_BYTES)
            oversized.push({ reason: `event ${event.event_id} of ${size} bytes is larger than ${MAX_EVENT_BYTES} bytes`, ...rawOfItem({ event, timeMs: 0 }) });
          else items.push({ event, timeMs: Date.parse(event.time) });
        }
        // Rejects are kept before anything is accepted: an answer never hides a lost span.
        try {
          for (const [i, r] of result.rejects.entries()) await rejects.add({ line: i + 1, error: r.reason, path: r.path ?? '', ...rawOf(r.path) });
          for (const r of oversized) await rejects.add({ line: rejects.count + 1, error: r.reason, path: '', raw: r.raw, rawBytes: r.rawBytes });
          await rejects.flush();
        } catch (err) {
          throw unavailable(reply, req, 'keeping the rejected spans', err instanceof KeepRejectedError ? err.cause : err);
        }
        let accepted = 0;
        if (items.length > 0) {
          let res: Awaited<ReturnType<typeof ingestInSlices>>;
          try {
            res = await ingestInSlices(
              items.map((item, i) => ({ line: i + 1, item })),
              opts.ingest,
              opts.ingestSliceEvents ?? DEFAULT_INGEST_SLICE_EVENTS,
            );
          } catch (err) {
            // Retryable for OTLP clients; the event ids are stable, so a retry cannot count a span twice in storage.
            throw unavailable(reply, req, 'ingest', err);
          }
          accepted = items.length - res.rejected.length - res.duplicates;
          // Mapped events the pipeline refused (the store could not take them, a conflicting duplicate): already kept
          // by the ingest with the reason; a partial success, not a 5xx (a retry would be refused the same way).
          for (const r of res.rejected) rejects.report({ line: rejects.count + 1, error: r.error, path: '' });
        }
        metrics.adapterEvents.inc({ source: TRACES_SOURCE }, accepted);
        metrics.adapterRejected.inc({ source: TRACES_SOURCE }, rejects.count);
        metrics.adapterSkipped.inc({ source: TRACES_SOURCE }, result.skipped);
        const total = result.rejects.length + result.events.length + result.skipped;
        const partial = rejects.count > 0 ? { rejectedSpans: rejects.count, errorMessage: rejectionMessage(rejects.listed, rejects.count, total) } : null;
        const answer = encodeExportTraceResponse(partial, encoding);
        if (encoding === 'protobuf')
          return reply
            .code(200)
            .type('application/x-protobuf')
            .send(Buffer.from(answer as Uint8Array));
        return reply.code(200).type('application/json').send(answer);
      },
    );
  });

  // --- API 1.1 route groups, one module each in routes/ (each registers its routes with their schema and role).
  // triage: routes/triage.ts
  registerTriageRoutes(app, { store, options: opts, metrics });

  // incidents: routes/incidents.ts
  registerIncidentRoutes(app, { store, options: opts, metrics });

  // suppressions: routes/suppressions.ts
  registerSuppressionRoutes(app, { store, options: opts, metrics });

  // tokens, registry, session: routes/admin.ts
  registerAdminRoutes(app, { store, options: opts, metrics });
  registerExporterRoutes(app, { store, options: opts, metrics });

  // console: static files at / (routes/console.ts)
  registerConsole(app);

  // --- the OpenAPI document of every route above, built once all are registered (api.md 1.1; no token needed).
  let document: Record<string, unknown> | undefined;
  app.get('/openapi.json', { schema: ROUTE_SCHEMAS['GET /openapi.json'] }, async () => {
    document ??= buildOpenApiDocument(routes, API_VERSION);
    return document;
  });

  return app;
}
