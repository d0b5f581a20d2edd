export { ApiError, type ErrorDetail, errorBody } from './errors.ts';
export { type ApiMetrics, createApiMetrics } from './metrics.ts';
export {
  type AgentView,
  buildServer,
  DEFAULT_EVENTS_BODY_LIMIT,
  type IngestResult,
  type Principal,
  parseAlertQuery,
  parseEventsBody,
  ROUTE_ROLES,
  type ServerOptions,
} from './server.ts';
export {
  type CreatedToken,
  createMemoryTokenStore,
  createTokenStore,
  hashToken,
  isRole,
  ROLES,
  type Role,
  roleAtLeast,
  type TokenInfo,
  type TokenStore,
  type TokenStoreOptions,
} from './tokens.ts';
