import { Readable } from 'node:stream';
import { type Alert, type AlertStatus, type RegistryAgent, SEVERITIES, type Severity } from '@agentwatch/schemas';
import { type AgentHour, type AlertFilters, type AlertPage, DEFAULT_MAX_FUTURE_SKEW_MS } from '@agentwatch/store';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../errors.ts';
import { AlertQuery, type AlertStatusBody, keysOf, requestError } from '../request-schemas.ts';
import { ROUTE_ROLES } from '../route-roles.ts';
import { ROUTE_SCHEMAS } from '../route-schemas.ts';
import { baselineFigures, baselineWindow, delegationChain } from './alert-detail.ts';
import type { RouteContext } from './route-context.ts';
import type { BulkBody, CommentBody } from './triage-schemas.ts';

/**
 * Triage routes (api.md 1.0 and 1.1): the alert queue with its filters and sorts, the alert detail, status and
 * assignment of one alert or many, comments, and the agent inventory. Every read and write goes through the store.
 */

/** Alerts per store page when streaming NDJSON. */
const STREAM_PAGE = 1000;
/** Most evidence events in an alert detail. */
const MAX_EVIDENCE_EVENTS = 1000;
/** Related alerts in an alert detail. */
const MAX_RELATED = 20;
const DAY_MS = 86_400_000;
/** Days of hourly aggregates on an agent page. */
const AGENT_HOURLY_DAYS = 30;
const OPEN_STATUSES: AlertStatus[] = ['new', 'acknowledged'];

type Query = Record<string, string | string[] | undefined>;

/** Store filters from validated GET /v1/alerts parameters (the output of `AlertQuery`): every parameter but `format`. */
export function alertFilters(q: AlertQuery): { filters: AlertFilters; format: 'json' | 'ndjson' | undefined } {
  const { format, ...rest } = q;
  const filters: AlertFilters = {};
  for (const [k, v] of Object.entries(rest)) if (v !== undefined) (filters as Record<string, unknown>)[k] = v;
  return { filters, format };
}

/** Validates GET /v1/alerts query parameters into store filters (the route's own `AlertQuery` schema); throws ApiError (400). */
export function parseAlertQuery(q: Query): { filters: AlertFilters; format: 'json' | 'ndjson' | undefined } {
  const r = AlertQuery.safeParse(q);
  if (!r.success) throw requestError(r.error, 'querystring', keysOf(AlertQuery));
  return alertFilters(r.data);
}

const wantsNdjson = (req: FastifyRequest, format: 'json' | 'ndjson' | undefined): boolean =>
  format === 'ndjson' || (format === undefined && /\bapplication\/x-ndjson\b/i.test(req.headers.accept ?? ''));

const noAlert = (id: string) => new ApiError(404, 'not_found', `no alert ${JSON.stringify(id)}`, [{ parameter: 'alert_id' }]);
const actorOf = (req: FastifyRequest): string => req.principal?.actor ?? 'unknown';

export interface AgentView {
  agent_id: string;
  registered: boolean;
  registry: RegistryAgent | null;
  activity: { first_seen: string; last_seen: string; events: number } | null;
  alerts: { total: number; open: number; max_severity: Severity | null };
}

/** The hourly aggregate as the agent page shows it (`calls`: tool calls). */
const hourView = (h: AgentHour) => ({
  hour: h.hour,
  events: h.events,
  calls: h.tool_calls,
  denied: h.denied,
  bytes_out: h.bytes_out,
  records: h.records,
  failures: h.failures,
  distinct_tools: h.distinct_tools,
  distinct_resources: h.distinct_resources,
});

export function registerTriageRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store, options, metrics } = ctx;
  const registryAgents = (): RegistryAgent[] => options.registry?.()?.agents ?? [];
  const registryInForce = () => options.registry?.() ?? { agents: [] };

  // --- the queue
  app.get('/v1/alerts', { schema: ROUTE_SCHEMAS['GET /v1/alerts'], config: { minRole: ROUTE_ROLES['GET /v1/alerts'] } }, async (req, reply) => {
    // req.query was validated by AlertQuery (the route's schema).
    const { filters, format } = alertFilters(req.query as AlertQuery);
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

  // --- one alert, with everything the detail page shows
  app.get<{ Params: { alert_id: string } }>(
    '/v1/alerts/:alert_id',
    { schema: ROUTE_SCHEMAS['GET /v1/alerts/:alert_id'], config: { minRole: ROUTE_ROLES['GET /v1/alerts/:alert_id'] } },
    async (req) => {
      const id = req.params.alert_id;
      const alert = await store.getAlert(id);
      if (!alert) throw noAlert(id);
      const window = baselineWindow(alert);
      const [events, history, comments, hours, related] = await Promise.all([
        store.triage.eventsById(alert.evidence.event_ids, alert.agent_id, MAX_EVIDENCE_EVENTS),
        store.triage.history(id),
        store.triage.comments(id),
        store.agentHourly(alert.agent_id, { since: window.sinceMs, until: window.untilMs }),
        store.queryAlerts({ agent_id: alert.agent_id, sort: '-last_seen', limit: MAX_RELATED + 1 }),
      ]);
      const registry = registryInForce();
      return {
        alert,
        events,
        history,
        comments,
        registry: registry.agents.find((a) => a.id === alert.agent_id) ?? null,
        baseline: baselineFigures(alert, hours),
        chain: delegationChain(alert, events, registry),
        related: related.alerts.filter((a) => a.alert_id !== id).slice(0, MAX_RELATED),
      };
    },
  );

  // --- triage writes: who from the token, when from the server clock
  app.post<{ Params: { alert_id: string }; Body: AlertStatusBody }>(
    '/v1/alerts/:alert_id/status',
    { schema: ROUTE_SCHEMAS['POST /v1/alerts/:alert_id/status'], config: { minRole: ROUTE_ROLES['POST /v1/alerts/:alert_id/status'] } },
    async (req) => {
      // The body was validated by AlertStatusBody (the route's schema).
      const { status, comment = '', assignee } = req.body;
      const id = req.params.alert_id;
      const { updated } = await store.triage.changeAlerts([id], { status, comment, ...(assignee !== undefined ? { assignee } : {}) }, actorOf(req), Date.now());
      const alert: Alert | undefined = updated[0];
      if (!alert) throw noAlert(id);
      metrics.alertStatusChanges.inc({ status });
      return { alert, history: await store.triage.history(id) };
    },
  );

  app.post<{ Body: BulkBody }>(
    '/v1/alerts/bulk',
    { schema: ROUTE_SCHEMAS['POST /v1/alerts/bulk'], config: { minRole: ROUTE_ROLES['POST /v1/alerts/bulk'] } },
    async (req) => {
      const { alert_ids, status, assignee, comment } = req.body;
      const change = {
        ...(status !== undefined ? { status } : {}),
        ...(assignee !== undefined ? { assignee } : {}),
        ...(comment !== undefined ? { comment } : {}),
      };
      const { updated, not_found } = await store.triage.changeAlerts(alert_ids, change, actorOf(req), Date.now());
      if (status !== undefined) metrics.alertStatusChanges.inc({ status }, updated.length);
      return { updated: updated.map((a) => a.alert_id), not_found };
    },
  );

  app.post<{ Params: { alert_id: string }; Body: CommentBody }>(
    '/v1/alerts/:alert_id/comments',
    { schema: ROUTE_SCHEMAS['POST /v1/alerts/:alert_id/comments'], config: { minRole: ROUTE_ROLES['POST /v1/alerts/:alert_id/comments'] } },
    async (req, reply) => {
      const id = req.params.alert_id;
      const comment = await store.triage.addComment(id, req.body.text, actorOf(req), Date.now());
      if (!comment) throw noAlert(id);
      return reply.code(201).send({ comment });
    },
  );

  // --- agents: registry entries plus actors seen in events or alerts that the registry does not list.
  const agentViews = async (agentId?: string): Promise<AgentView[]> => {
    const [activity, alerts] = await Promise.all([
      store.triage.agentActivity(agentId, options.maxFutureSkewMs),
      store.triage.agentAlertCounts(OPEN_STATUSES, agentId),
    ]);
    const registered = new Map<string, RegistryAgent>();
    for (const a of registryAgents()) if (agentId === undefined || a.id === agentId) registered.set(a.id, a);
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
      view(r.agent_id).activity = { first_seen: new Date(r.first_ms).toISOString(), last_seen: new Date(r.last_ms).toISOString(), events: r.events };
    }
    for (const r of alerts) view(r.agent_id).alerts = { total: r.total, open: r.open, max_severity: SEVERITIES[r.max_rank] ?? null };
    return [...views.values()].sort((a, b) => (a.agent_id < b.agent_id ? -1 : a.agent_id > b.agent_id ? 1 : 0));
  };

  app.get('/v1/agents', { schema: ROUTE_SCHEMAS['GET /v1/agents'], config: { minRole: ROUTE_ROLES['GET /v1/agents'] } }, async () => {
    return { agents: await agentViews() };
  });
  // A wildcard, so agent ids that are URIs work whether their slashes are %2F-encoded or not.
  app.get<{ Params: { '*': string } }>(
    '/v1/agents/*',
    { schema: ROUTE_SCHEMAS['GET /v1/agents/*'], config: { minRole: ROUTE_ROLES['GET /v1/agents/*'] } },
    async (req) => {
      const id = req.params['*'];
      const [agent] = await agentViews(id);
      if (!agent) throw new ApiError(404, 'not_found', `no agent ${JSON.stringify(id)} in the registry, events or alerts`, [{ parameter: 'agent_id' }]);
      // Hours after now (+ the allowed skew) hold only forged future claims (telemetry.implausible_event_time reports them).
      const now = Date.now();
      const skew = options.maxFutureSkewMs ?? DEFAULT_MAX_FUTURE_SKEW_MS;
      const [hours, tokens] = await Promise.all([
        store.agentHourly(id, { since: now - AGENT_HOURLY_DAYS * DAY_MS, until: now + skew }),
        store.triage.agentTokens(id, undefined, skew),
      ]);
      return { agent: { ...agent, hourly: hours.map(hourView), tokens } };
    },
  );
}
