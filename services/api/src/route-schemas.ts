import { Alert, AlertStatus, CanonicalEvent, RegistryAgent, Severity } from '@agentwatch/schemas';
import type { FastifySchema } from 'fastify';
import { z } from 'zod';
import type { ZodOpenApiRequestBodyObject, ZodOpenApiResponsesObject } from 'zod-openapi';
import { AgentIdParams, AlertIdParams, AlertQuery, AlertStatusBody, NoQuery } from './request-schemas.ts';
import {
  IncidentDetail,
  IncidentIdParams,
  IncidentPage,
  IncidentQuery,
  IncidentStatusBody,
  IncidentStatusChange,
  IncidentView,
} from './routes/incident-schemas.ts';

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
const AlertStatusChange = z
  .object({ alert_id: z.string(), at: z.string().nullable(), from_status: AlertStatus, status: AlertStatus, comment: z.string(), actor: z.string() })
  .meta({ id: 'AlertStatusChange' });
const AgentView = z
  .object({
    agent_id: z.string(),
    registered: z.boolean(),
    registry: RegistryAgent.nullable(),
    activity: z.object({ first_seen: z.string(), last_seen: z.string(), events: z.number().int() }).nullable(),
    alerts: z.object({ total: z.number().int(), open: z.number().int(), max_severity: Severity.nullable() }),
  })
  .meta({ id: 'AgentView' });
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
    summary: 'Alerts, newest first',
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
    summary: 'One alert with its evidence events and status history',
    params: AlertIdParams,
    responses: {
      '200': {
        description: 'the alert',
        content: json(z.object({ alert: Alert, events: z.array(CanonicalEvent), history: z.array(AlertStatusChange) })),
      },
      ...BAD_REQUEST,
      '404': err('no such alert'),
    },
  },
  'POST /v1/alerts/:alert_id/status': {
    summary: 'Triage: change an alert status',
    params: AlertIdParams,
    body: AlertStatusBody,
    responses: {
      '200': { description: 'the alert after the change, and its history', content: json(z.object({ alert: Alert, history: z.array(AlertStatusChange) })) },
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
      '200': { description: 'the agent', content: json(z.object({ agent: AgentView })) },
      ...BAD_REQUEST,
      '404': err('not in the registry, events or alerts'),
    },
  },

  // --- API 1.1, one block per route module in routes/ (their zod schemas may live beside the route module).
  // triage: routes/triage.ts

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

  // tokens, registry, session: routes/admin.ts
} satisfies Record<string, RouteSchema>;

/** The schema of each route, keyed `METHOD url` as fastify registers it. */
export const ROUTE_SCHEMAS: Readonly<Record<keyof typeof SCHEMAS, RouteSchema>> = SCHEMAS;
