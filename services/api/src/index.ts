export { type EngineGaugeSource, registerEngineGauges } from './engine-metrics.ts';
export { ApiError, type ErrorDetail, errorBody } from './errors.ts';
export { registerExporterGauges } from './exporter-metrics.ts';
export { DEFAULT_MAX_EVENTS_PER_REQUEST, type EventsBodyFormat, readEventsBody } from './ingest-body.ts';
export { type ApiMetrics, createApiMetrics, type PipelineGaugeSnapshot, registerPipelineGauges } from './metrics.ts';
export { MAX_ANSWER_ERROR_CHARS, MAX_KEPT_RAW_BYTES, MAX_LISTED_REJECTS, RejectKeeper } from './reject-keeper.ts';
export type { ExporterView } from './routes/exporter-schemas.ts';
export {
  type AgentView,
  buildServer,
  DEFAULT_EVENTS_BODY_LIMIT,
  EVENTS_SOURCE,
  type IngestResult,
  type Principal,
  parseAlertQuery,
  ROUTE_ROLES,
  type ServerOptions,
} from './server.ts';
export {
  type CreatedToken,
  createMemoryTokenStore,
  createTokenStore,
  hashToken,
  isExpired,
  isRole,
  type NewTokenOptions,
  ROLES,
  type Role,
  roleAtLeast,
  type TokenInfo,
  type TokenStore,
  type TokenStoreOptions,
} from './tokens.ts';
