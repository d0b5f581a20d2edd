import type { Store } from '@agentwatch/store';
import type { ApiMetrics } from '../metrics.ts';
import type { ServerOptions } from '../server.ts';

/**
 * What a route module (routes/*.ts) is given: the store (all SQL lives in the store package), the server's options
 * (registry in force, token store, ...) and the metrics. A module registers its routes with
 * `app.<method>(url, { schema: ROUTE_SCHEMAS[key], config: { minRole: ROUTE_ROLES[key] } }, handler)`.
 */
export interface RouteContext {
  store: Store;
  options: ServerOptions;
  metrics: ApiMetrics;
}
