import type { Alert } from '@agentwatch/schemas';
import { type IncidentFilters, InvalidIncidentCursorError } from '@agentwatch/store';
import type { FastifyInstance } from 'fastify';
import { ApiError, badParam } from '../errors.ts';
import { ROUTE_ROLES } from '../route-roles.ts';
import { ROUTE_SCHEMAS } from '../route-schemas.ts';
import type { IncidentQuery, IncidentStatusBody } from './incident-schemas.ts';
import type { RouteContext } from './route-context.ts';

/** Most alerts GET /v1/incidents/{id} returns; the full list is GET /v1/alerts?incident_id=. */
const MAX_DETAIL_ALERTS = 1000;

const notFound = (id: string): ApiError => new ApiError(404, 'not_found', `no incident ${JSON.stringify(id)}`, [{ parameter: 'incident_id' }]);

/**
 * Incidents (api.md 1.1, alerts.md "Incidents"): list, detail (its alerts and triage history), and triage of the
 * incident itself. The grouping is done by the pipeline (LiveIncidents); these routes only read and triage.
 */
export function registerIncidentRoutes(app: FastifyInstance, { store }: RouteContext): void {
  app.get('/v1/incidents', { schema: ROUTE_SCHEMAS['GET /v1/incidents'], config: { minRole: ROUTE_ROLES['GET /v1/incidents'] } }, async (req) => {
    const query = req.query as IncidentQuery;
    const filters: IncidentFilters = {};
    if (query.status) filters.status = query.status;
    if (query.agent_id !== undefined) filters.agent_id = query.agent_id;
    if (query.since !== undefined) filters.since = query.since;
    if (query.until !== undefined) filters.until = query.until;
    if (query.severity !== undefined) filters.severity = query.severity;
    if (query.limit !== undefined) filters.limit = query.limit;
    if (query.cursor !== undefined) filters.cursor = query.cursor;
    if (query.sort !== undefined) filters.sort = query.sort;
    try {
      return await store.incidents.query(filters);
    } catch (err) {
      if (err instanceof InvalidIncidentCursorError) throw badParam('cursor', `${err.message} (a next_cursor of this list, with the same sort)`);
      throw err;
    }
  });

  app.get<{ Params: { incident_id: string } }>(
    '/v1/incidents/:incident_id',
    { schema: ROUTE_SCHEMAS['GET /v1/incidents/:incident_id'], config: { minRole: ROUTE_ROLES['GET /v1/incidents/:incident_id'] } },
    async (req) => {
      const incident = await store.incidents.get(req.params.incident_id);
      if (!incident) throw notFound(req.params.incident_id);
      const [page, history] = await Promise.all([
        store.queryAlerts({ incident_id: incident.incident_id, limit: MAX_DETAIL_ALERTS }),
        store.incidents.history(incident.incident_id),
      ]);
      const alerts: Alert[] = [...page.alerts].sort((a, b) => cmp(a.first_seen, b.first_seen) || cmp(a.alert_id, b.alert_id));
      return { incident, alerts, history };
    },
  );

  app.post<{ Params: { incident_id: string }; Body: IncidentStatusBody }>(
    '/v1/incidents/:incident_id/status',
    { schema: ROUTE_SCHEMAS['POST /v1/incidents/:incident_id/status'], config: { minRole: ROUTE_ROLES['POST /v1/incidents/:incident_id/status'] } },
    async (req) => {
      const { status, comment = '', assignee } = req.body;
      const incident = await store.incidents.updateStatus(req.params.incident_id, {
        status,
        comment,
        actor: req.principal?.actor ?? 'unknown',
        atMs: Date.now(),
        ...(assignee !== undefined ? { assignee } : {}),
      });
      if (!incident) throw notFound(req.params.incident_id);
      return { incident, history: await store.incidents.history(incident.incident_id) };
    },
  );
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
