export { type InsertRate, measureRawInsert, measureStoreInsert, syntheticEvents } from './bench-insert.ts';
export {
  INCIDENT_SORTS,
  type IncidentFilters,
  type IncidentPage,
  type IncidentSort,
  type IncidentStatusChange,
  type IncidentStore,
  type IncidentUpserts,
  InvalidIncidentCursorError,
} from './incident-store.ts';
export { DEFAULT_MIGRATIONS_DIR, loadMigrations, type Migration, splitStatements } from './migrations.ts';
export { mergeAlert } from './rows.ts';
export {
  type AgentHour,
  type AlertFilters,
  type AlertPage,
  type AlertStatusChange,
  createStore,
  type EventFilters,
  type EventRows,
  type InsertAlertsResult,
  type InsertEventsResult,
  InvalidCursorError,
  MAX_REJECTED_RAW_CHARS,
  type MigrateResult,
  type RefusedEvent,
  type RegistryVersion,
  type RejectedRecord,
  renderEventRows,
  type Store,
  type StoreConfig,
  StoreInUseError,
  type StoreLogger,
  type TokenRecord,
} from './store.ts';
export type { StoreContext } from './store-context.ts';
