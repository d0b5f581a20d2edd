import type { Role } from './tokens.ts';

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

  // --- API 1.1 (api.md "Added in 1.1"), one block per route module in routes/.
  // triage: routes/triage.ts
  'POST /v1/alerts/bulk': 'analyst',
  'POST /v1/alerts/:alert_id/comments': 'analyst',

  // incidents: routes/incidents.ts
  'GET /v1/incidents': 'viewer',
  'GET /v1/incidents/:incident_id': 'viewer',
  'POST /v1/incidents/:incident_id/status': 'analyst',

  // suppressions: routes/suppressions.ts
  'GET /v1/suppressions': 'viewer',
  'POST /v1/suppressions': 'engineer',
  'DELETE /v1/suppressions/:id': 'engineer',

  // tokens, registry, session: routes/admin.ts
  'GET /v1/session': 'viewer',
  'GET /v1/tokens': 'admin',
  'POST /v1/tokens': 'admin',
  'DELETE /v1/tokens/:token_id': 'admin',
  'GET /v1/registry': 'viewer',
  'GET /v1/registry/versions': 'viewer',
  'POST /v1/registry/validate': 'engineer',

  // exporters: routes/exporters.ts
  'GET /v1/exporters': 'viewer',
} as const satisfies Record<string, Role>;
