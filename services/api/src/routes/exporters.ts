import type { FastifyInstance } from 'fastify';
import { ROUTE_ROLES } from '../route-roles.ts';
import { ROUTE_SCHEMAS } from '../route-schemas.ts';
import type { RouteContext } from './route-context.ts';

/** GET /v1/exporters (viewer): each configured exporter's delivered, pending and failed counts (exporters.md). */
export function registerExporterRoutes(app: FastifyInstance, { options }: RouteContext): void {
  app.get('/v1/exporters', { schema: ROUTE_SCHEMAS['GET /v1/exporters'], config: { minRole: ROUTE_ROLES['GET /v1/exporters'] } }, async () => ({
    exporters: (await options.exporters?.()) ?? [],
  }));
}
