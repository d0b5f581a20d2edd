export type { AdminStore, ApiTokenRecord, NewApiToken, RegistryVersionSummary } from './admin-store.ts';
export { ALERT_SORTS, type AlertFilters, type AlertSort, InvalidCursorError, MAX_Q_WORD_CHARS, MAX_Q_WORDS } from './alert-query.ts';
export { type InsertRate, measureRawInsert, measureStoreInsert, syntheticEvents } from './bench-insert.ts';
export { ClickHouseConnectionError, type ClickHouseServer, serverClientOptions } from './clickhouse-connection.ts';
export { type ClusterLayout, checkClusterName, emptyLayout, LOCAL_SUFFIX, REPLICA_PATH, renderForCluster, renderMigrationsForCluster } from './cluster-ddl.ts';
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
export { DEFAULT_MIGRATIONS_DIR, loadMigrations, type Migration, renderStatement, SCHEMA_MIGRATIONS_DDL, splitStatements } from './migrations.ts';
export { type ExportCursor, type FailedExport, nextExportVersion, type OutboxEntry, type OutboxStore, outboxKey, type QueuedVersion } from './outbox-store.ts';
export { mergeAlert } from './rows.ts';
export {
  type AgentHour,
  type AlertPage,
  type AlertStatusChange,
  createStore,
  type EventFilters,
  type EventRows,
  type InsertAlertsResult,
  type InsertEventsResult,
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
export { parseStoreFaultMode, STORE_FAULTS_ENV, type StoreFaultCounts, type StoreFaultMode, storeFaultsFromEnv, withStoreFaults } from './store-faults.ts';
export type { NewSuppression, SuppressionStore } from './suppression-store.ts';
export {
  type AgentActivityRow,
  type AgentAlertCounts,
  type AgentTokenSeen,
  type AlertComment,
  COMMENT_RETRY_WINDOW_MS,
  DEFAULT_MAX_FUTURE_SKEW_MS,
  type TriageChange,
  type TriageHistoryEntry,
  type TriageStore,
} from './triage-store.ts';
