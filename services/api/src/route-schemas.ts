import { Alert, CanonicalEvent, Registry } from '@agentwatch/schemas';
import type { FastifySchema } from 'fastify';
import { z } from 'zod';
import type { ZodOpenApiRequestBodyObject, ZodOpenApiResponsesObject } from 'zod-openapi';
import { AgentIdParams, AlertIdParams, AlertQuery, AlertStatusBody, NoQuery } from './request-schemas.ts';
import {
  CreatedTokenView,
  REGISTRY_CONTENT_TYPES,
  RegistryValidation,
  RegistryVersionsQuery,
  RegistryVersionView,
  SessionView,
  TokenCreateBody,
  TokenIdParams,
  TokenView,
} from './routes/admin-schemas.ts';
import { ExporterList } from './routes/exporter-schemas.ts';
import {
  IncidentDetail,
  IncidentIdParams,
  IncidentPage,
  IncidentQuery,
  IncidentStatusBody,
  IncidentStatusChange,
  IncidentView,
} from './routes/incident-schemas.ts';
import { CreateSuppressionBody, SuppressionAnswer, SuppressionIdParams, SuppressionList, SuppressionQuery } from './routes/suppression-schemas.ts';
import { AgentDetail, AgentView, AlertDetail, BulkAnswer, BulkBody, CommentAnswer, CommentBody, StatusAnswer } from './routes/triage-schemas.ts';

/**
 * What each route takes and answers, as the `schema` option of its fastify route. `params`, `querystring` and
 * `body` are zod schemas that fastify validates with (the server's validator compiler); `requestBody` documents
 * bodies a route parses itself (NDJSON, OTLP protobuf); `responses` only documents. GET /openapi.json is built
 * from these options as fastify registered them, so a route without one is missing from the document, which a
 * test catches.
 */
export interface RouteSchema extends FastifySchema {
  summary: string;
  params?: z.ZodType;
  querystring?: z.ZodType;
  body?: z.ZodType;
  requestBody?: ZodOpenApiRequestBodyObject;
  responses: ZodOpenApiResponsesObject;
}

const ErrorDetail = z.record(z.string(), z.unknown());
const ErrorObject = z.object({ code: z.string(), message: z.string(), details: z.array(ErrorDetail) });
/** `{"error": {code, message, details}}`, every error answer (api.md). */
export const ErrorBody = z.object({ error: ErrorObject }).meta({ id: 'Error' });

const json = (schema: z.ZodType) => ({ 'application/json': { schema } });
const err = (description: string) => ({ description, content: json(ErrorBody) });

/** 400 for a route that takes parameters or a body. */
const BAD_REQUEST = { '400': err('a parameter or the body is invalid; `details` names which') };
/** Answers every route with a JSON body may give. */
const JSON_BODY_ERRORS = {
  '413': err('the body is larger than the route allows'),
  '415': err('unsupported Content-Type'),
};

const AlertPage = z.object({ alerts: z.array(Alert), next_cursor: z.string().nullable() }).meta({ id: 'AlertPage' });
const IngestAnswer = z.object({
  accepted: z.number().int(),
  rejected: z.array(z.object({ line: z.number().int(), error: z.string() })).meta({ description: 'the first 100 rejections, by line' }),
  rejected_count: z.number().int().meta({ description: 'every rejection (all are kept with their reason)' }),
  duplicates: z.number().int().meta({ description: 'events whose event_id was stored before with the same content: not stored or counted again' }),
});
/** OTLP/HTTP answers a JSON error as a google.rpc.Status (`code`, `message`), plus api.md's `error`. */
const OtlpError = z.looseObject({ code: z.number().int(), message: z.string(), error: ErrorObject });
const otlpErr = (description: string) => ({
  description,
  content: { 'application/json': { schema: OtlpError }, 'application/x-protobuf': { schema: z.string().meta({ format: 'binary' }) } },
});

const SCHEMAS = {
  'GET /healthz': {
    summary: 'Liveness',
    responses: { '200': { description: 'the process answers', content: json(z.object({ status: z.literal('ok') })) } },
  },
  'GET /readyz': {
    summary: 'Readiness: stores reachable, registry loaded',
    responses: {
      '200': { description: 'ready', content: json(z.object({ status: z.literal('ready') })) },
      '503': err('not ready yet'),
    },
  },
  'GET /metrics': {
    summary: 'Prometheus metrics',
    responses: { '200': { description: 'Prometheus text format', content: { 'text/plain': { schema: z.string() } } } },
  },
  'GET /openapi.json': {
    summary: 'This document',
    responses: { '200': { description: 'OpenAPI 3.1', content: json(z.record(z.string(), z.unknown())) } },
  },
  'POST /v1/events': {
    summary: 'Ingest canonical events (events.md)',
    requestBody: {
      required: true,
      content: {
        'application/x-ndjson': { schema: z.string().meta({ description: 'one canonical event per line' }) },
        'application/json': { schema: z.array(CanonicalEvent) },
      },
    },
    responses: {
      '202': { description: 'at least one event accepted; the others rejected with their line and reason', content: json(IngestAnswer) },
      '400': {
        description: 'no event accepted',
        content: json(IngestAnswer.extend({ error: ErrorObject })),
      },
      ...JSON_BODY_ERRORS,
    },
  },
  'POST /v1/traces': {
    summary: 'OTLP/HTTP traces, mapped to canonical events by the OpenTelemetry adapter',
    requestBody: {
      required: true,
      content: {
        'application/x-protobuf': { schema: z.string().meta({ format: 'binary' }) },
        'application/json': { schema: z.record(z.string(), z.unknown()).meta({ description: 'ExportTraceServiceRequest (OTLP/JSON)' }) },
      },
    },
    responses: {
      '200': {
        description: 'ExportTraceServiceResponse; partialSuccess names rejected spans (kept with their reason)',
        content: {
          'application/json': {
            schema: z.looseObject({ partialSuccess: z.object({ rejectedSpans: z.string(), errorMessage: z.string() }).optional() }),
          },
          'application/x-protobuf': { schema: z.string().meta({ format: 'binary' }) },
        },
      },
      '400': otlpErr('the body does not decode'),
      '401': otlpErr('missing, unknown or revoked token (WWW-Authenticate: Bearer)'),
      '403': otlpErr("the token's role is too weak for this route"),
      '413': otlpErr('the body is larger than the route allows, as sent or once inflated'),
      '415': otlpErr('unsupported Content-Type or Content-Encoding'),
      '503': otlpErr('storing failed; retry later (Retry-After)'),
    },
  },
  'GET /v1/alerts': {
    summary: 'Alerts: filtered, searched (q) and sorted (default -last_seen), paged with a cursor',
    querystring: AlertQuery,
    responses: {
      '200': {
        description: 'a page of alerts, or with format=ndjson / Accept: application/x-ndjson every match, one per line',
        content: { ...json(AlertPage), 'application/x-ndjson': { schema: Alert } },
      },
      ...BAD_REQUEST,
    },
  },
  'GET /v1/alerts/:alert_id': {
    summary: 'One alert: evidence events, history, comments, registry entry, baseline, delegation chain, related alerts',
    params: AlertIdParams,
    responses: {
      '200': { description: 'the alert and what the detail page shows', content: json(AlertDetail) },
      ...BAD_REQUEST,
      '404': err('no such alert'),
    },
  },
  'POST /v1/alerts/:alert_id/status': {
    summary: 'Triage: change an alert status and/or its assignee',
    params: AlertIdParams,
    body: AlertStatusBody,
    responses: {
      '200': { description: 'the alert after the change, and its history', content: json(StatusAnswer) },
      ...BAD_REQUEST,
      '404': err('no such alert'),
      ...JSON_BODY_ERRORS,
    },
  },
  'GET /v1/agents': {
    summary: 'Inventory: registry entries plus unregistered actors seen',
    querystring: NoQuery,
    responses: { '200': { description: 'every agent', content: json(z.object({ agents: z.array(AgentView) })) }, ...BAD_REQUEST },
  },
  'GET /v1/agents/*': {
    summary: 'One agent',
    params: AgentIdParams,
    responses: {
      '200': { description: 'the agent, its hourly activity of the last 30 days and the credentials it used', content: json(AgentDetail) },
      ...BAD_REQUEST,
      '404': err('not in the registry, events or alerts'),
    },
  },

  // --- API 1.1, one block per route module in routes/ (their zod schemas may live beside the route module).
  // triage: routes/triage.ts
  'POST /v1/alerts/bulk': {
    summary: 'Triage many alerts at once: status, assignee and/or comment; one history entry per alert',
    body: BulkBody,
    responses: {
      '200': { description: 'which alerts were changed and which ids are unknown', content: json(BulkAnswer) },
      ...BAD_REQUEST,
      ...JSON_BODY_ERRORS,
    },
  },
  'POST /v1/alerts/:alert_id/comments': {
    summary: 'Comment on an alert (the same comment retried within 10 minutes is stored once)',
    params: AlertIdParams,
    body: CommentBody,
    responses: {
      '201': { description: 'the comment (the stored one, for a retry)', content: json(CommentAnswer) },
      ...BAD_REQUEST,
      '404': err('no such alert'),
      ...JSON_BODY_ERRORS,
    },
  },

  // incidents: routes/incidents.ts
  'GET /v1/incidents': {
    summary: 'Incidents: alerts grouped per agent and linked agents within incident_window, with a risk score',
    querystring: IncidentQuery,
    responses: { '200': { description: 'a page of incidents', content: json(IncidentPage) }, ...BAD_REQUEST },
  },
  'GET /v1/incidents/:incident_id': {
    summary: 'One incident, its alerts (timeline) and its triage history',
    params: IncidentIdParams,
    responses: {
      '200': { description: 'the incident (for an id merged into another: that one)', content: json(IncidentDetail) },
      ...BAD_REQUEST,
      '404': err('no such incident'),
    },
  },
  'POST /v1/incidents/:incident_id/status': {
    summary: 'Triage: change an incident status (the incident, not its alerts)',
    params: IncidentIdParams,
    body: IncidentStatusBody,
    responses: {
      '200': {
        description: 'the incident after the change, and its history',
        content: json(z.object({ incident: IncidentView, history: z.array(IncidentStatusChange) })),
      },
      ...BAD_REQUEST,
      '404': err('no such incident'),
      ...JSON_BODY_ERRORS,
    },
  },

  // suppressions: routes/suppressions.ts
  'GET /v1/suppressions': {
    summary: 'Suppressions with their hits and last hit (alerts.md "Suppressions")',
    querystring: SuppressionQuery,
    responses: { '200': { description: 'in force, or with include_expired=true every one', content: json(SuppressionList) }, ...BAD_REQUEST },
  },
  'POST /v1/suppressions': {
    summary: 'Create a suppression: matching alerts are still stored, with status suppressed and its id',
    body: CreateSuppressionBody,
    responses: { '201': { description: 'the suppression; author from the token', content: json(SuppressionAnswer) }, ...BAD_REQUEST, ...JSON_BODY_ERRORS },
  },
  'DELETE /v1/suppressions/:id': {
    summary: 'Delete a suppression: alerts emitted from now on are no longer matched by it',
    params: SuppressionIdParams,
    responses: {
      '200': { description: 'the suppression with deleted_at', content: json(SuppressionAnswer) },
      ...BAD_REQUEST,
      '404': err('no such suppression'),
    },
  },

  // tokens, registry, session: routes/admin.ts
  'GET /v1/session': {
    summary: 'Who the token is: role, actor, token id, name and expiry (the console shows the role)',
    querystring: NoQuery,
    responses: { '200': { description: 'the session', content: json(SessionView) } },
  },
  'GET /v1/tokens': {
    summary: 'API tokens, revoked and expired ones included; never a secret or its hash',
    querystring: NoQuery,
    responses: { '200': { description: 'every token', content: json(z.object({ tokens: z.array(TokenView) })) } },
  },
  'POST /v1/tokens': {
    summary: 'Create an API token; the secret is in this answer only',
    body: TokenCreateBody,
    responses: { '201': { description: 'the token, with its secret', content: json(CreatedTokenView) }, ...BAD_REQUEST, ...JSON_BODY_ERRORS },
  },
  'DELETE /v1/tokens/:token_id': {
    summary: 'Revoke an API token (refused from then on)',
    params: TokenIdParams,
    responses: {
      '200': { description: 'the token, with revoked_at', content: json(z.object({ token: TokenView })) },
      ...BAD_REQUEST,
      '404': err('no such token (the bootstrap token is not in the table: it cannot be revoked here)'),
    },
  },
  'GET /v1/exporters': {
    summary: 'Each configured exporter: delivered, pending, failed and filtered alert versions, last error, last delivery',
    querystring: NoQuery,
    responses: { '200': { description: 'the exporters of the config, in its order (empty without exporters)', content: json(ExporterList) } },
  },
  'GET /v1/registry': {
    summary: 'The registry in force, with its version (SHA-256 of the file) and load time',
    querystring: NoQuery,
    responses: {
      '200': { description: 'the registry in force', content: json(z.object({ version: RegistryVersionView, registry: Registry })) },
      '503': err('no registry loaded'),
    },
  },
  'GET /v1/registry/versions': {
    summary: 'Every registry version loaded, newest first (with sha256: that version, with its content)',
    querystring: RegistryVersionsQuery,
    responses: {
      '200': {
        description: 'the versions loaded, without content; with ?sha256= the latest load of that version, with its content',
        content: json(z.object({ versions: z.array(RegistryVersionView.extend({ content: z.string().optional() })) })),
      },
      ...BAD_REQUEST,
      '404': err('no version with that sha256 was loaded'),
    },
  },
  'POST /v1/registry/validate': {
    summary: 'Validate a candidate registry (nothing is loaded): every problem, as the loader reports them',
    requestBody: {
      required: true,
      content: Object.fromEntries(REGISTRY_CONTENT_TYPES.map((t) => [t, { schema: z.string().meta({ description: 'a registry document (registry.md)' }) }])),
    },
    responses: {
      '200': { description: 'valid, or not with every problem', content: json(RegistryValidation) },
      '400': err('the body is empty, not UTF-8, or not YAML/JSON at all; `details` lists where'),
      ...JSON_BODY_ERRORS,
    },
  },
} satisfies Record<string, RouteSchema>;

/** The schema of each route, keyed `METHOD url` as fastify registers it. */
export const ROUTE_SCHEMAS: Readonly<Record<keyof typeof SCHEMAS, RouteSchema>> = SCHEMAS;
