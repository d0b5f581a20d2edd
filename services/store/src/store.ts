import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { ALERT_STATUSES, type Alert, Alert as AlertSchema, type AlertStatus, type CanonicalEvent, type EventKind, normalizeEvent } from '@agentwatch/schemas';
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { type AdminStore, createAdminStore } from './admin-store.ts';
import { type AlertFilters, alertsOrder, alertsWhere, DEFAULT_STORE_SORT, encodeCursor } from './alert-query.ts';
import { type ClickHouseServer, serverClientOptions } from './clickhouse-connection.ts';
import { checkClusterName, emptyLayout, LOCAL_SUFFIX, renderForCluster } from './cluster-ddl.ts';
import { clampStoredTimeMs, DEFAULT_MAX_PARTITIONS_PER_INSERT, groupByPartition, isRowError, partitionDay, rowErrorReason } from './event-rows.ts';
import { createIncidentStore, type IncidentStore } from './incident-store.ts';
import { loadMigrations, renderStatement, SCHEMA_MIGRATIONS_DDL } from './migrations.ts';
import { createOutboxStore, nextExportVersion, type OutboxStore } from './outbox-store.ts';
import { encodeRegistryContent } from './registry-content.ts';
import {
  ALERT_SELECT,
  type AlertReadRow,
  type AlertRow,
  alertFingerprint,
  alertToRow,
  chTime,
  mergeAlert,
  readAlertRow,
  type StoredAlert,
  toMs,
} from './rows.ts';
import { type StoreContext, serialQueue, versionClock } from './store-context.ts';
import { createSuppressionStore, type SuppressionStore } from './suppression-store.ts';
import { createTriageStore, type TriageStore } from './triage-store.ts';

/** Minimal structured logger; a pino logger fits. */
export interface StoreLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface StoreConfig {
  /** A ClickHouse server (`http://user:pass@host:8123`). Unset: embedded ClickHouse (chdb) in `dataDir`. */
  clickhouseUrl?: string;
  /** A ClickHouse server with credentials and TLS (./clickhouse-connection.ts); wins over `clickhouseUrl`. */
  clickhouse?: ClickHouseServer;
  /** chdb data folder (created if missing). chdb binds ONE data folder per process: every store in a process must use the same. */
  dataDir: string;
  /** Database holding every table; created by migrate(). Letters, digits and `_`. */
  database: string;
  /** Events stored more than this many days ago (`ingested_at`, not the claimed event time) are dropped. Unset or 0: kept forever. Applied by migrate(). */
  eventsTtlDays?: number;
  logger?: StoreLogger;
  /** Where the `NNN_name.sql` files are; default infra/clickhouse/migrations of this repository. */
  migrationsDir?: string;
  /**
   * A ClickHouse cluster name (`CLICKHOUSE_CLUSTER`, server only): migrations run ON CLUSTER with Replicated* local
   * tables behind Distributed tables of the usual names (cluster-ddl.ts). Unset: one server or embedded.
   */
  cluster?: string;
  /** Largest number of events sent in one INSERT (default 100,000). */
  insertChunkSize?: number;
  /**
   * Most partitions (event days) one INSERT may touch (default 100, ClickHouse's `max_partitions_per_insert_block`):
   * a batch spanning more days is cut into inserts of at most this many days each.
   */
  maxPartitionsPerInsert?: number;
  /**
   * The name this process queues export versions under and delivers them as (alert_outbox.writer; default 'local').
   * Processes sharing one ClickHouse server need distinct names (`up` uses `instance_id`, default the host name).
   */
  writer?: string;
  /** TEST-ONLY: wraps the ClickHouse client every query goes through (fault injection, see store-faults.ts). */
  wrapClient?: (client: ClickHouseClient) => ClickHouseClient;
}

/** A page of alerts in the order asked for (AlertFilters.sort). `next_cursor` is null on the last page. */
export interface AlertPage {
  alerts: Alert[];
  next_cursor: string | null;
}

export interface AlertStatusChange {
  alert_id: string;
  at: string;
  from_status: AlertStatus;
  status: AlertStatus;
  comment: string;
  actor: string;
}

export interface EventFilters {
  agent_id?: string;
  kind?: EventKind;
  since?: string | number | Date;
  until?: string | number | Date;
  /** Only events stored at or after this time (ms; `ingested_at`): what came in after a checkpoint. */
  ingestedSince?: number;
  /** Keyset paging: events after this one in (time, event_id) order. */
  after?: { time: string; event_id: string };
  /** 1..10000, default 1000. */
  limit?: number;
}

/** One hour of one agent's activity, from the agent_hourly baseline table. */
export interface AgentHour {
  agent_id: string;
  hour: string;
  events: number;
  tool_calls: number;
  bytes_out: number;
  records: number;
  denied: number;
  failures: number;
  distinct_tools: number;
  distinct_resources: number;
}

export interface TokenRecord {
  token_id: string;
  agent_id: string;
  issuer: string;
  scopes: string[];
  audience: string[];
  issued_at: string;
  expires_at: string;
  grant_type: string | null;
  parent_token_id: string | null;
  task_id: string | null;
  on_behalf_of: string | null;
  revoked_at: string | null;
  revoke_reason: string | null;
}

export interface RegistryVersion {
  loaded_at: string;
  sha256: string;
  agent_count: number;
  source: string;
  content: string;
}

export interface MigrateResult {
  /** `NNN_name` of each migration applied by this call, in order. */
  applied: string[];
  /** Migrations already recorded in schema_migrations. */
  alreadyApplied: number;
}

/**
 * Events rendered for insertion (the `raw` rows of `events_ingest`, see migrations 009 and 010), with a key naming
 * them for the derived deduplication token (a Kafka batch `topic:partition:first-last`, or the event ids). One
 * buffer per chunk: a writer that holds events for a while holds one buffer, not one object or string per event.
 */
export interface EventRows {
  rows: Buffer;
  count: number;
  key: string;
  /** Where each row ends in `rows` (after its newline): rows can be cut apart to isolate a bad one. */
  ends: Uint32Array;
  /** Each row's partition day ({@link partitionDay} of its time); unset: read from the rows if a split needs them. */
  days?: Float64Array;
  /** Smallest and largest of `days` (NaN when unknown): an insert within the partition limit needs no per-row look. */
  dayMin: number;
  dayMax: number;
}

/** A ClickHouse string literal: backslashes and single quotes escaped. */
function sqlString(value: string): string {
  return `'${value.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

/**
 * Renders validated canonical events' JSON texts (strings, or the UTF-8 bytes as received) as `events_ingest` rows:
 * the texts themselves, each ending a line (JSONAsString), copied once into one buffer, so chunks concatenate as they
 * are. ClickHouse reads each object as it is: `raw` keeps the text byte for byte, pretty-printed or not.
 */
export function renderEventRows(texts: ReadonlyArray<string | Uint8Array>, key: string, timesMs?: ArrayLike<number>): EventRows {
  let size = texts.length;
  for (const t of texts) size += typeof t === 'string' ? Buffer.byteLength(t) : t.length;
  const rows = Buffer.allocUnsafe(size);
  const ends = new Uint32Array(texts.length);
  let at = 0;
  for (let i = 0; i < texts.length; i++) {
    const t = texts[i] as string | Uint8Array;
    if (typeof t === 'string') at += rows.write(t, at);
    else {
      rows.set(t, at);
      at += t.length;
    }
    rows[at++] = 0x0a;
    ends[i] = at;
  }
  if (!timesMs) return { rows, count: texts.length, key, ends, dayMin: Number.NaN, dayMax: Number.NaN };
  const days = new Float64Array(texts.length);
  let dayMin = Number.POSITIVE_INFINITY;
  let dayMax = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < texts.length; i++) {
    const d = partitionDay(timesMs[i] as number);
    days[i] = d;
    if (d < dayMin) dayMin = d;
    if (d > dayMax) dayMax = d;
  }
  // A time that does not parse (NaN) leaves the range unknown: the rows are looked at one by one.
  if (days.some(Number.isNaN) || texts.length === 0) return { rows, count: texts.length, key, ends, days, dayMin: Number.NaN, dayMax: Number.NaN };
  return { rows, count: texts.length, key, ends, days, dayMin, dayMax };
}

/** One row of a rendered chunk, by reference: its bytes (a view), its partition day and its position in the call. */
interface RowRef {
  buf: Buffer;
  day: number;
  at: number;
}

export interface InsertEventsResult {
  /** Events stored by this call (new ones; duplicates and refused ones are not). */
  rows: number;
  /** Deduplication token of each INSERT sent (one per chunk, more when a chunk was cut by partitions or bisected). */
  tokens: string[];
  /**
   * Positions (0-based, in the call's events or rows) that the store did not keep, each with the reason: a row
   * ClickHouse could not take (isolated by bisecting the insert; the others were stored), or (insertEvents) an event
   * whose event_id is already stored with other content (a conflicting duplicate: the first version stands).
   */
  refused: RefusedEvent[];
  /** Positions (insertEvents) whose event_id is already stored with the same content: not stored again. */
  duplicates: number[];
}

/** An event the store did not keep: where it was in the call, why, and its JSON text (for the rejects). */
export interface RefusedEvent {
  index: number;
  reason: string;
  raw: string;
  /** The key of the chunk it came in (insertEventRows: the batch's token, e.g. `topic:partition:first-last`). */
  key: string;
}

/**
 * A source record an adapter could not map (or a request body part that could not be read), kept with the reason.
 * `source` says where it came from (`POST /v1/traces`, `topic:<name>`), `format` which adapter refused it.
 */
export interface RejectedRecord {
  source: string;
  format: string;
  reason: string;
  /** Where inside the record, when it holds many (`resourceSpans[0].scopeSpans[0].spans[2]`); '' otherwise. */
  path?: string;
  /** The record as received (JSON text); cut to {@link MAX_REJECTED_RAW_CHARS} characters when stored. */
  raw: string;
  /** Size in bytes of the record as received, when `raw` was already cut by the caller (default: `raw`'s size). */
  rawBytes?: number;
  receivedAtMs: number;
}

/** Longest `raw` kept per rejected record (the rest is cut; `raw_bytes` keeps the full size). */
export const MAX_REJECTED_RAW_CHARS = 64 * 1024;

export interface InsertAlertsResult {
  inserted: number;
  updated: number;
  unchanged: number;
}

export interface Store {
  readonly client: ClickHouseClient;
  readonly database: string;
  readonly engine: 'chdb' | 'server';
  migrate(): Promise<MigrateResult>;
  /**
   * Adds (once) the bloom filter index on `events.event_id` that makes the HTTP path's duplicate look-up skip the parts
   * without those ids (the sorting key starts with agent_id). Not a migration: building it costs every insert, and the
   * Kafka path, which never looks ids up, does not pay for it. Without it the look-up is correct, only slower.
   */
  ensureEventIdIndex(): Promise<void>;
  /**
   * The store's clock (ms): events get their `ingested_at` from it as they are written, so a time compared with
   * `ingested_at` (a checkpoint's "stored since") is read here, not from this process's clock.
   */
  now(): Promise<number>;
  /**
   * Appends the events that are new. An event_id is one event (events.md): one already stored (or earlier in the
   * batch) with the same content is a duplicate, not stored again; with other content it is refused as a conflicting
   * duplicate (the first version stands). A row ClickHouse cannot take is isolated and refused with the reason while
   * the rest is stored; a store failure (connection, timeout ...) rejects the call. Batches spanning more days than
   * one insert may touch are cut by day. Idempotent: the same batch again stores nothing more.
   * Not atomic across processes: two writers of one event_id at the same moment may both store it (reads collapse
   * rows with the same agent, time and id).
   */
  insertEvents(events: CanonicalEvent[], dedupToken?: string): Promise<InsertEventsResult>;
  /**
   * {@link insertEvents} for callers that hold the events' JSON texts (e.g. the Kafka messages they came in), rendered
   * with {@link renderEventRows}: each text is stored as `raw` and flattened into columns by ClickHouse. Without a
   * token, one is derived from the chunks' keys. Chunks go in inserts of up to the store's chunk size (whole chunks),
   * cut by day when they span more partitions than one insert may touch. A row ClickHouse cannot take is isolated
   * (the insert bisected) and returned in `refused` while the others are stored. No duplicate look-up (the Kafka
   * collector's hot path): a re-sent row collapses by insert deduplication and in FINAL reads.
   */
  insertEventRows(chunks: readonly EventRows[], dedupToken?: string): Promise<InsertEventsResult>;
  /** Upserts alerts by alert_id (see {@link mergeAlert}); triage status is kept. */
  insertAlerts(alerts: Alert[]): Promise<InsertAlertsResult>;
  /** Records a triage change and returns the alert as it now stands; null when no such alert. */
  updateAlertStatus(alertId: string, status: AlertStatus, comment: string, actor: string, atMs: number): Promise<Alert | null>;
  queryAlerts(filters?: AlertFilters): Promise<AlertPage>;
  /**
   * Every alert whose last event is at or after `sinceMs`, in batches, in no useful order (by alert_id): for consumers
   * whose result does not depend on order (the incident grouper's rebuild). Read in 16 slices of the primary key, so a
   * store of a million alerts is one pass over the table, never a whole copy in memory (bench:api's store: 810k alerts
   * in about 5 s, where pages of queryAlerts took minutes).
   */
  alertsSince(sinceMs: number): AsyncGenerator<Alert[]>;
  getAlert(alertId: string): Promise<Alert | null>;
  getAlertHistory(alertId: string): Promise<AlertStatusChange[]>;
  countEvents(): Promise<number>;
  queryEvents(filters?: EventFilters): Promise<CanonicalEvent[]>;
  /** {@link queryEvents} with each event's `ingested_at` (ms): when it arrived, for judging its time again on a re-read. */
  queryStoredEvents(filters?: EventFilters): Promise<Array<{ event: CanonicalEvent; ingestedAtMs: number }>>;
  agentHourly(agentId: string, range?: { since?: string | number | Date; until?: string | number | Date }): Promise<AgentHour[]>;
  getToken(tokenId: string): Promise<TokenRecord | null>;
  recordRegistryVersion(v: { sha256: string; content: string; agentCount: number; source: string; loadedAtMs: number }): Promise<void>;
  /** Keeps rejected source records (the in-process DLQ). The same records again (a retried request) are dropped. */
  insertRejectedRecords(records: RejectedRecord[]): Promise<void>;
  /** Rejected records, newest first; optionally of one source. */
  queryRejectedRecords(filters?: { source?: string; limit?: number }): Promise<Array<Required<RejectedRecord> & { rawBytes: number }>>;
  latestRegistryVersion(): Promise<RegistryVersion | null>;
  close(): Promise<void>;

  // --- API 1.1 concerns: one module each in this package (its SQL there), exposed as one property here.
  // triage (assignment, comments, bulk, alert detail reads): triage-store.ts
  readonly triage: TriageStore;

  // incidents: incident-store.ts
  /** Incidents (alerts.md 1.1): grouper upserts, lists, triage. */
  readonly incidents: IncidentStore;

  // suppressions: suppression-store.ts
  /** Suppressions (alerts.md) and their hits. */
  readonly suppressions: SuppressionStore;
  // export outbox: outbox-store.ts
  /** Alert versions queued for the exporters (exporters.md), their cursors and refused versions. */
  readonly outbox: OutboxStore;

  // API tokens and registry versions: admin-store.ts
  /** API tokens (create, verify, list, revoke) and the registry versions loaded (API 1.1). */
  readonly admin: AdminStore;
}

/**
 * Thrown by {@link createStore} when the embedded engine's data folder is held by another process (an `agentwatch up`
 * running on it): embedded ClickHouse opens a folder in one process at a time.
 */
export class StoreInUseError extends Error {
  override name = 'StoreInUseError';
  constructor(
    readonly dataDir: string,
    override readonly cause: unknown,
  ) {
    super(`the embedded store in ${dataDir} is open in another process`);
  }
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DEFAULT_CHUNK = 100_000;
const ID_CHUNK = 1_000;

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const isoOrNull = (ms: string | number): string => new Date(Number(ms)).toISOString();
const emptyToNull = (s: string): string | null => (s === '' ? null : s);
const clampInt = (v: number | undefined, dflt: number, min: number, max: number): number =>
  v === undefined || !Number.isFinite(v) ? dflt : Math.min(max, Math.max(min, Math.floor(v)));

type ChdbModule = typeof import('chdb/connection');
const requireCjs = createRequire(import.meta.url);

/**
 * Opens the store. Without `clickhouseUrl` the engine is chdb (embedded ClickHouse, loaded only then) on `dataDir`;
 * with it, a ClickHouse server. Either way every statement goes through the same `@clickhouse/client`.
 */
export function createStore(config: StoreConfig): Store {
  if (!IDENT.test(config.database)) throw new Error(`database name ${JSON.stringify(config.database)}: expected letters, digits and _`);
  const db = config.database;
  const eventsQuery = (columns: string, filters: EventFilters): string => {
    const where = eventsWhere(filters);
    return `SELECT ${columns} FROM ${db}.events FINAL ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY time, event_id LIMIT {lim:UInt32}`;
  };
  const log = config.logger;
  const cluster = config.cluster ? checkClusterName(config.cluster) : undefined;
  if (cluster && !config.clickhouseUrl && !config.clickhouse)
    throw new Error('CLICKHOUSE_CLUSTER needs a ClickHouse server (CLICKHOUSE_URL): the embedded store is one node');
  /** ` ON CLUSTER name` in cluster mode. */
  const onCluster = cluster ? ` ON CLUSTER \`${cluster}\`` : '';
  /** The table that holds the rows (local behind a Distributed table, in cluster mode): TTL, indexes, system tables. */
  const dataTable = (name: string): string => (cluster ? `${name}${LOCAL_SUFFIX}` : name);
  /** A migration statement in the form this store runs it (several in cluster mode). */
  const migrationLayout = emptyLayout();
  const forStore = (stmt: string): string[] => (cluster ? renderForCluster(stmt, cluster, migrationLayout) : [stmt]).map((x) => renderStatement(x, db));
  const chunkSize = Math.max(1, config.insertChunkSize ?? DEFAULT_CHUNK);
  const maxPartitions = Math.max(1, config.maxPartitionsPerInsert ?? DEFAULT_MAX_PARTITIONS_PER_INSERT);
  let client: ClickHouseClient;
  let engine: 'chdb' | 'server';
  const server = config.clickhouse ?? (config.clickhouseUrl ? { url: config.clickhouseUrl } : undefined);
  if (server) {
    engine = 'server';
    client = createClient(serverClientOptions(server));
  } else {
    engine = 'chdb';
    const dir = resolve(config.dataDir);
    mkdirSync(dir, { recursive: true });
    const { createChdbConnection } = requireCjs('chdb/connection') as ChdbModule;
    // chdb types its connection against @clickhouse/client-common, which @clickhouse/client >= 1.23.1 inlines; the
    // runtime contract is the same, the two copies of the settings type differ by a few keys.
    type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;
    let connection: unknown;
    try {
      connection = createChdbConnection({ path: dir });
    } catch (e) {
      // One process per data folder: ClickHouse locks <dir>/status while an engine has it open.
      if (existsSync(join(dir, 'status')) && (e as { code?: string }).code === 'CHDB_CONNECTION') throw new StoreInUseError(dir, e);
      throw e;
    }
    client = createClient({ connection: connection as ClientConnection });
  }
  if (config.wrapClient) client = config.wrapClient(client);

  const q = async <T>(query: string, params?: Record<string, unknown>): Promise<T[]> => {
    const rs = await client.query({ query, format: 'JSONEachRow', ...(params ? { query_params: params } : {}) });
    return rs.json<T>();
  };
  const command = async (query: string, params?: Record<string, unknown>): Promise<void> => {
    await client.command({ query, ...(params ? { query_params: params } : {}) });
  };
  /**
   * Every INSERT carries an explicit insert_deduplication_token. Besides idempotency this is required on chdb: its
   * connection applies per-query settings as session-wide `SET`s, so a token left over from an earlier insert would
   * otherwise silently drop the next, unrelated, insert.
   */
  const insert = async (table: string, values: object[], token: string): Promise<void> => {
    if (values.length === 0) return;
    await client.insert({
      table: `${db}.${table}`,
      values,
      format: 'JSONEachRow',
      // Explicit so older servers (where the view default was 0) also drop a replayed block in materialized views.
      clickhouse_settings: { insert_deduplicate: 1, deduplicate_blocks_in_dependent_materialized_views: 1, insert_deduplication_token: token },
    });
  };

  /** What the concern modules (triage, incidents, suppressions, admin) run their SQL through. */
  const ctx: StoreContext = {
    client,
    db,
    q,
    command,
    insert,
    serial: (fn) => serial(fn),
    nextVersion: (prev) => nextVersion(prev),
    queueExports: (versions) => outbox.queue(versions),
  };

  /** One INSERT of rendered event rows ({@link renderEventRows}) through events_ingest. */
  const insertRows = async (chunks: readonly Buffer[], token: string): Promise<void> => {
    if (chunks.length === 0) return;
    // Handed over as bytes: the chdb connection (patches/chdb+3.4.0.patch) joins the chunks once and passes them to
    // the engine as they are (unpatched, it decoded them into a JavaScript string that the engine copied again); a
    // server gets them streamed.
    // exec, not insert: the body is already in the format (insert would encode it as a value again). The settings go
    // in the INSERT's own SETTINGS clause: the chdb connection turns clickhouse_settings into `SET ...;` statements
    // before the query, and a multi-statement text holding the whole body cost ClickHouse 2 us more per event to split
    // (5.3 against 3.3 us measured into a Null table).
    const res = await client.exec({
      query:
        `INSERT INTO ${db}.events_ingest (raw) SETTINGS insert_deduplicate = 1, deduplicate_blocks_in_dependent_materialized_views = 1, ` +
        `insert_deduplication_token = ${sqlString(token)} FORMAT JSONAsString`,
      values: Readable.from(chunks, { objectMode: false }),
    });
    // The (empty) response must be read to its end, or the HTTP socket is never released.
    res.stream.resume();
    await finished(res.stream);
  };

  /**
   * Inserts rows, isolating bad ones: on an error that is the data's fault ({@link isRowError}) the rows are halved
   * and each half inserted with its own token (derived, so a retry deduplicates the same way), down to the single
   * rows that fail, which come back refused. Any other error rejects (the caller retries the whole).
   */
  const insertBisecting = async (rows: RowRef[], token: string, tokens: string[], refused: Array<{ at: number; reason: string }>): Promise<void> => {
    if (rows.length === 0) return;
    try {
      await insertRows(
        rows.map((r) => r.buf),
        token,
      );
      tokens.push(token);
    } catch (e) {
      if (!isRowError(e)) throw e;
      if (rows.length === 1) {
        refused.push({ at: (rows[0] as RowRef).at, reason: rowErrorReason(e) });
        return;
      }
      const mid = rows.length >> 1;
      await insertBisecting(rows.slice(0, mid), `${token}/0`, tokens, refused);
      await insertBisecting(rows.slice(mid), `${token}/1`, tokens, refused);
    }
  };

  /** Each row of the chunks as a {@link RowRef}, numbered from 0 across the chunks. */
  const rowRefs = (chunks: readonly EventRows[]): RowRef[] => {
    const refs: RowRef[] = [];
    for (const c of chunks) {
      let start = 0;
      for (let i = 0; i < c.count; i++) {
        const end = c.ends[i] as number;
        const buf = c.rows.subarray(start, end);
        let day = c.days ? (c.days[i] as number) : Number.NaN;
        if (!c.days) {
          try {
            day = partitionDay(Date.parse((JSON.parse(buf.toString('utf8')) as { time?: string }).time ?? ''));
          } catch {
            // Not JSON: it fails its insert on its own and is isolated there.
          }
        }
        refs.push({ buf, day, at: refs.length });
        start = end;
      }
    }
    return refs;
  };

  /**
   * One insert's worth of chunks: sent whole when they span at most `maxPartitions` days (the common case, no per-row
   * work); else, or when the whole insert hit a bad row, row by row: cut by day, then bisected around bad rows.
   */
  const insertGroup = async (group: readonly EventRows[], token: string, tokens: string[], refused: Array<{ at: number; reason: string }>): Promise<void> => {
    const live = group.filter((c) => c.count > 0);
    if (live.length === 0) return;
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const c of live) {
      lo = Math.min(lo, c.dayMin);
      hi = Math.max(hi, c.dayMax);
    }
    if (hi - lo < maxPartitions) {
      try {
        await insertRows(
          live.map((c) => c.rows),
          token,
        );
        tokens.push(token);
        return;
      } catch (e) {
        if (!isRowError(e)) throw e;
      }
    }
    const refs = rowRefs(live);
    const parts = groupByPartition(
      refs.map((r) => r.day),
      maxPartitions,
    );
    const before = refused.length;
    for (let p = 0; p < parts.length; p++) {
      const rows = (parts[p] as number[]).map((i) => refs[i] as RowRef);
      await insertBisecting(rows, parts.length === 1 ? `${token}/r` : `${token}/p${p}`, tokens, refused);
    }
    // Every row refused (more than one): not a bad row but something wrong for all (e.g. a schema out of step): fail.
    if (refs.length > 1 && refused.length - before === refs.length) throw new Error(`every row of the insert was refused: ${refused[before]?.reason}`);
  };

  /** Chunks in inserts of up to `chunkSize` events (whole chunks), each isolating its bad rows; refused rows by position. */
  const insertChunks = async (chunks: readonly EventRows[], base: string): Promise<{ tokens: string[]; refused: RefusedEvent[] }> => {
    const groups: EventRows[][] = [];
    let size = 0;
    for (const c of chunks) {
      if (groups.length === 0 || size + c.count > chunkSize) {
        groups.push([]);
        size = 0;
      }
      (groups[groups.length - 1] as EventRows[]).push(c);
      size += c.count;
    }
    const tokens: string[] = [];
    const refused: RefusedEvent[] = [];
    let offset = 0;
    for (let g = 0; g < groups.length; g++) {
      const group = groups[g] as EventRows[];
      const found: Array<{ at: number; reason: string }> = [];
      await insertGroup(group, groups.length === 1 ? base : `${base}#${g}`, tokens, found);
      if (found.length > 0) {
        const refs = rowRefs(group.filter((c) => c.count > 0));
        const keys: string[] = [];
        for (const c of group) for (let i = 0; i < c.count; i++) keys.push(c.key);
        for (const f of found)
          refused.push({ index: offset + f.at, reason: f.reason, raw: (refs[f.at] as RowRef).buf.toString('utf8').trimEnd(), key: keys[f.at] ?? '' });
      }
      for (const c of group) offset += c.count;
    }
    return { tokens, refused };
  };

  /** Stored versions of these event ids, as canonical JSON text (the first stored one per id). */
  const storedVersions = async (ids: string[]): Promise<Map<string, string>> => {
    const out = new Map<string, string>();
    for (let i = 0; i < ids.length; i += ID_CHUNK) {
      const rows = await q<{ event_id: string; raw: string }>(
        `SELECT event_id, raw FROM ${db}.events WHERE event_id IN {ids:Array(String)} ORDER BY ingested_at`,
        { ids: ids.slice(i, i + ID_CHUNK) },
      );
      for (const r of rows) {
        if (out.has(r.event_id)) continue;
        try {
          out.set(r.event_id, JSON.stringify(normalizeEvent(JSON.parse(r.raw) as CanonicalEvent)));
        } catch {
          out.set(r.event_id, r.raw);
        }
      }
    }
    return out;
  };

  // Read-modify-write of alerts is serialised within this process.
  const serial = serialQueue();
  const nextVersion = versionClock();
  const outbox = createOutboxStore(ctx, config.writer ?? 'local');

  const fetchAlerts = async (ids: string[]): Promise<Map<string, StoredAlert>> => {
    const out = new Map<string, StoredAlert>();
    for (let i = 0; i < ids.length; i += ID_CHUNK) {
      const rows = await q<AlertReadRow>(`SELECT ${ALERT_SELECT} FROM ${db}.alerts FINAL WHERE alert_id IN {ids:Array(String)}`, {
        ids: ids.slice(i, i + ID_CHUNK),
      });
      for (const r of rows) out.set(r.alert_id, readAlertRow(r));
    }
    return out;
  };

  /**
   * The events TTL counts from when an event was stored (`ingested_at`, the store's clock), not from its claimed time:
   * a backfill or a stale-dated event (1970, 0001) stays as long as a recent one, and a far-future date cannot keep an
   * event forever. Older stores had it on `time`: changed here on the next migrate().
   */
  const applyEventsTtl = async (): Promise<void> => {
    const days = config.eventsTtlDays ?? 0;
    if (!Number.isInteger(days) || days < 0) throw new Error(`eventsTtlDays: expected a whole number of days >= 0, got ${days}`);
    const rows = await q<{ engine_full: string }>(`SELECT engine_full FROM system.tables WHERE database = {db:String} AND name = {name:String}`, {
      db,
      name: dataTable('events'),
    });
    const full = rows[0]?.engine_full ?? '';
    const current = /\bTTL\b\s*toDateTime\(ingested_at\)\s*\+\s*toIntervalDay\((\d+)\)/.exec(full);
    if (days > 0 && current?.[1] !== String(days)) {
      await command(`ALTER TABLE ${db}.${dataTable('events')}${onCluster} MODIFY TTL toDateTime(ingested_at) + toIntervalDay(${days})`);
      log?.info({ database: db, eventsTtlDays: days }, 'events TTL set');
    } else if (days === 0 && /\bTTL\b/.test(full)) {
      await command(`ALTER TABLE ${db}.${dataTable('events')}${onCluster} REMOVE TTL`);
      log?.info({ database: db }, 'events TTL removed');
    }
  };

  const store: Store = {
    client,
    database: db,
    engine,

    async now() {
      const rows = await q<{ ms: string }>('SELECT toString(toUnixTimestamp64Milli(now64(3))) AS ms');
      return Number(rows[0]?.ms);
    },

    async ensureEventIdIndex() {
      const [row] = await q<{ n: string }>(
        `SELECT count() AS n FROM system.data_skipping_indices WHERE database = {db:String} AND table = {name:String} AND name = 'event_id_bloom'`,
        { db, name: dataTable('events') },
      );
      if (Number(row?.n ?? 0) > 0) return;
      await command(
        `ALTER TABLE ${db}.${dataTable('events')}${onCluster} ADD INDEX IF NOT EXISTS event_id_bloom event_id TYPE bloom_filter(0.001) GRANULARITY 1`,
      );
      // Parts written before the index have none: built once, here (a mutation), not at every start.
      await command(`ALTER TABLE ${db}.${dataTable('events')}${onCluster} MATERIALIZE INDEX event_id_bloom`);
    },

    async migrate() {
      const started = performance.now();
      const migrations = loadMigrations(config.migrationsDir);
      await command(`CREATE DATABASE IF NOT EXISTS ${db}${onCluster}`);
      for (const stmt of forStore(SCHEMA_MIGRATIONS_DDL)) await command(stmt);
      // Cluster mode: every migration is rendered in order, applied or not, so the layout knows each table's local name.
      const rendered = new Map(migrations.map((m) => [m.version, m.statements.flatMap(forStore)]));
      const done = new Map(
        (await q<{ version: number; name: string; checksum: string }>(`SELECT version, name, checksum FROM ${db}.schema_migrations FINAL`)).map((r) => [
          Number(r.version),
          r,
        ]),
      );
      const applied: string[] = [];
      for (const m of migrations) {
        const prior = done.get(m.version);
        if (prior) {
          if (prior.checksum !== m.checksum) {
            log?.warn({ database: db, migration: `${m.version}_${m.name}` }, 'migration file changed after it was applied; not re-applied');
          }
          continue;
        }
        for (const stmt of rendered.get(m.version) ?? []) await command(stmt);
        const id = `${String(m.version).padStart(3, '0')}_${m.name}`;
        await insert('schema_migrations', [{ version: m.version, name: m.name, checksum: m.checksum, applied_at: chTime(Date.now()) }], `migration:${id}`);
        applied.push(id);
        log?.info({ database: db, migration: id }, 'migration applied');
      }
      await applyEventsTtl();
      log?.info({ database: db, engine, applied: applied.length, ms: Math.round(performance.now() - started) }, 'store ready');
      return { applied, alreadyApplied: migrations.length - applied.length };
    },

    async insertEvents(events, dedupToken) {
      // Canonical text: what is stored, and what "same content" compares.
      const texts = events.map((e) => JSON.stringify(normalizeEvent(e)));
      const duplicates: number[] = [];
      const refused: RefusedEvent[] = [];
      const conflict = (i: number): void => {
        const id = (events[i] as CanonicalEvent).event_id;
        refused.push({
          index: i,
          reason: `conflicting duplicate: event_id ${JSON.stringify(id)} is already stored with other content`,
          raw: texts[i] as string,
          key: dedupToken ?? '',
        });
      };
      // Within the batch: the first of an id stands.
      const first = new Map<string, number>();
      const candidates: number[] = [];
      for (let i = 0; i < events.length; i++) {
        const id = (events[i] as CanonicalEvent).event_id;
        const j = first.get(id);
        if (j === undefined) {
          first.set(id, i);
          candidates.push(i);
        } else if (texts[j] === texts[i]) duplicates.push(i);
        else conflict(i);
      }
      // Against the store.
      const stored = candidates.length > 0 ? await storedVersions(candidates.map((i) => (events[i] as CanonicalEvent).event_id)) : new Map<string, string>();
      const fresh: number[] = [];
      for (const i of candidates) {
        const prior = stored.get((events[i] as CanonicalEvent).event_id);
        if (prior === undefined) fresh.push(i);
        else if (prior === texts[i]) duplicates.push(i);
        else conflict(i);
      }
      const tokens: string[] = [];
      const chunks = Math.ceil(fresh.length / chunkSize);
      let rows = 0;
      for (let c = 0; c < chunks; c++) {
        const slice = fresh.slice(c * chunkSize, (c + 1) * chunkSize);
        const base = dedupToken ?? `events:${sha256(slice.map((i) => texts[i]).join('\n'))}`;
        const token = chunks === 1 ? base : `${base}#${c}`;
        const rendered = renderEventRows(
          slice.map((i) => texts[i] as string),
          token,
          slice.map((i) => Date.parse((events[i] as CanonicalEvent).time)),
        );
        const r = await insertChunks([rendered], token);
        tokens.push(...r.tokens);
        for (const f of r.refused) refused.push({ ...f, index: slice[f.index] as number });
        rows += slice.length - r.refused.length;
      }
      duplicates.sort((a, b) => a - b);
      refused.sort((a, b) => a.index - b.index);
      return { rows, tokens, refused, duplicates };
    },

    async insertEventRows(chunks, dedupToken) {
      const base = dedupToken ?? `events:${sha256(chunks.map((c) => c.key).join('\n'))}`;
      const r = await insertChunks(chunks, base);
      return { rows: chunks.reduce((n, c) => n + c.count, 0) - r.refused.length, tokens: r.tokens, refused: r.refused, duplicates: [] };
    },

    insertAlerts(alerts) {
      return serial(async () => {
        const incoming = new Map<string, Alert>();
        for (const a of alerts) {
          const parsed = AlertSchema.parse(a);
          const prev = incoming.get(parsed.alert_id);
          incoming.set(parsed.alert_id, prev ? mergeAlert(prev, parsed) : parsed);
        }
        const stored = await fetchAlerts([...incoming.keys()]);
        const now = Date.now();
        const rows: AlertRow[] = [];
        const exports: Array<{ alert: Alert; version: number }> = [];
        const result: InsertAlertsResult = { inserted: 0, updated: 0, unchanged: 0 };
        for (const [id, a] of incoming) {
          const ex = stored.get(id);
          if (!ex) {
            exports.push({ alert: a, version: 1 });
            rows.push(alertToRow({ alert: a, statusChangedAtMs: 0, createdAtMs: now, version: nextVersion(0), exportVersion: 1 }, now));
            result.inserted++;
            continue;
          }
          const merged = mergeAlert(ex.alert, a);
          if (alertFingerprint(merged) === alertFingerprint(ex.alert)) {
            result.unchanged++;
            continue;
          }
          const xv = nextExportVersion(ex, merged);
          if (xv.due) exports.push({ alert: merged, version: xv.version });
          rows.push(alertToRow({ ...ex, alert: merged, version: nextVersion(ex.version), exportVersion: xv.version }, now));
          result.updated++;
        }
        // The outbox first: a crash between the two writes re-emits the alert, which queues the same version again.
        await outbox.queue(exports);
        await insert('alerts', rows, `alerts:${sha256(JSON.stringify(rows))}`);
        return result;
      });
    },

    updateAlertStatus(alertId, status, comment, actor, atMs) {
      if (!(ALERT_STATUSES as readonly string[]).includes(status)) throw new Error(`status: expected one of ${ALERT_STATUSES.join(', ')}, got ${status}`);
      return serial(async () => {
        const cur = (await fetchAlerts([alertId])).get(alertId);
        if (!cur) return null;
        const changeId = sha256(JSON.stringify([alertId, status, comment, actor, atMs]));
        const seen = await q<{ n: string }>(`SELECT count() AS n FROM ${db}.alert_status_history WHERE alert_id = {id:String} AND change_id = {c:String}`, {
          id: alertId,
          c: changeId,
        });
        if (Number(seen[0]?.n ?? 0) > 0) return cur.alert; // the same change replayed
        await insert(
          'alert_status_history',
          [{ alert_id: alertId, at: chTime(atMs), change_id: changeId, from_status: cur.alert.status, status, comment, actor }],
          `history:${changeId}`,
        );
        // The alert shows the latest change by time: an older change arriving late is kept in history only.
        if (atMs < cur.statusChangedAtMs) return cur.alert;
        const alert = { ...cur.alert, status };
        const xv = nextExportVersion(cur, alert);
        const next: StoredAlert = { ...cur, alert, statusChangedAtMs: atMs, version: nextVersion(cur.version), exportVersion: xv.version };
        if (xv.due) await outbox.queue([{ alert, version: xv.version }]);
        const row = alertToRow(next, Date.now());
        await insert('alerts', [row], `alerts:${sha256(JSON.stringify(row))}`);
        return next.alert;
      });
    },

    async queryAlerts(filters = {}) {
      const sort = filters.sort ?? DEFAULT_STORE_SORT;
      const { where, params } = alertsWhere(filters);
      const order = alertsOrder(sort, filters.cursor);
      if (filters.incident_id !== undefined) {
        where.push('alert_id IN {incident_alerts:Array(String)}');
        params['incident_alerts'] = await store.incidents.alertIds(filters.incident_id);
      }
      const limit = clampInt(filters.limit, 100, 1, 1000);
      const all = [...where, ...order.after.where];
      // The page's ids first, reading only the filter and sort columns of every version (FINAL: the latest wins, so a
      // filter never matches an outdated status), then the whole rows of those ids alone, by the primary key, in a
      // second query: as `alert_id IN (subquery)` ClickHouse read far more of the wide columns (measured by bench:api
      // at 1M alerts: 130 ms against 26 + 59 ms). A row changed in between is served as it now stands.
      const keys = await q<{ alert_id: string; sort_key: string | number }>(
        `SELECT alert_id, ${order.keyColumn} AS sort_key FROM ${db}.alerts FINAL ${all.length ? `WHERE ${all.join(' AND ')}` : ''}
         ORDER BY ${order.orderBy} LIMIT {lim:UInt32}`,
        { ...params, ...order.after.params, lim: limit + 1 },
      );
      const byId = await fetchAlerts(keys.slice(0, limit).map((k) => k.alert_id));
      const page = keys.flatMap((k) => byId.get(k.alert_id)?.alert ?? []).slice(0, limit);
      const last = keys.length > limit ? keys[limit - 1] : undefined;
      return { alerts: page, next_cursor: last ? encodeCursor(sort, Number(last.sort_key), last.alert_id) : null };
    },

    async *alertsSince(sinceMs) {
      // Contiguous bounds over all strings ('' .. '1' .. 'f' .. beyond): every id lands in exactly one slice.
      const bounds = ['', ...'123456789abcdef'.split(''), null];
      for (let i = 0; i + 1 < bounds.length; i++) {
        const lo = bounds[i] as string;
        const hi = bounds[i + 1];
        const rows = await q<AlertReadRow>(
          `SELECT ${ALERT_SELECT} FROM ${db}.alerts FINAL
           WHERE alert_id >= {lo:String} ${hi === null ? '' : 'AND alert_id < {hi:String}'}
             AND last_seen >= fromUnixTimestamp64Milli({since:Int64}, 'UTC')`,
          { lo, ...(hi === null ? {} : { hi }), since: sinceMs },
        );
        if (rows.length) yield rows.map((r) => readAlertRow(r).alert);
      }
    },

    async getAlert(alertId) {
      return (await fetchAlerts([alertId])).get(alertId)?.alert ?? null;
    },

    async getAlertHistory(alertId) {
      // One reading of the history table: the triage module's (it also knows assignee changes).
      return store.triage.history(alertId);
    },

    async countEvents() {
      const rows = await q<{ n: string }>(`SELECT count() AS n FROM ${db}.events FINAL`);
      return Number(rows[0]?.n ?? 0);
    },

    async queryEvents(filters = {}) {
      const rows = await q<{ raw: string }>(eventsQuery('raw', filters), eventsQueryParams(filters));
      return rows.map((r) => JSON.parse(r.raw) as CanonicalEvent);
    },

    async queryStoredEvents(filters = {}) {
      const rows = await q<{ raw: string; ingested_ms: string }>(
        eventsQuery('raw, toUnixTimestamp64Milli(ingested_at) AS ingested_ms', filters),
        eventsQueryParams(filters),
      );
      return rows.map((r) => ({ event: JSON.parse(r.raw) as CanonicalEvent, ingestedAtMs: Number(r.ingested_ms) }));
    },

    async agentHourly(agentId, range = {}) {
      const where = ['agent_id = {agent:String}'];
      const params: Record<string, unknown> = { agent: agentId };
      if (range.since !== undefined) {
        where.push(`hour >= toStartOfHour(fromUnixTimestamp64Milli({since:Int64}, 'UTC'))`);
        params['since'] = toMs(range.since);
      }
      if (range.until !== undefined) {
        where.push(`hour < fromUnixTimestamp64Milli({until:Int64}, 'UTC')`);
        params['until'] = toMs(range.until);
      }
      const rows = await q<Record<string, string | number>>(
        `SELECT agent_id, toUnixTimestamp(hour) AS hour_s, sum(events) AS events, sum(tool_calls) AS tool_calls, sum(bytes_out) AS bytes_out,
                sum(records) AS records, sum(denied) AS denied, sum(failures) AS failures,
                uniqMerge(tools) AS distinct_tools, uniqMerge(resources) AS distinct_resources
         FROM ${db}.agent_hourly WHERE ${where.join(' AND ')} GROUP BY agent_id, hour ORDER BY hour`,
        params,
      );
      return rows.map((r) => ({
        agent_id: String(r['agent_id']),
        hour: new Date(Number(r['hour_s']) * 1000).toISOString(),
        events: Number(r['events']),
        tool_calls: Number(r['tool_calls']),
        bytes_out: Number(r['bytes_out']),
        records: Number(r['records']),
        denied: Number(r['denied']),
        failures: Number(r['failures']),
        distinct_tools: Number(r['distinct_tools']),
        distinct_resources: Number(r['distinct_resources']),
      }));
    },

    async getToken(tokenId) {
      const [issued] = await q<Record<string, string | string[]>>(
        `SELECT token_id, agent_id, issuer, scopes, audience, toUnixTimestamp64Milli(issued_at) AS issued_ms, toUnixTimestamp64Milli(expires_at) AS expires_ms,
                grant_type, parent_token_id, task_id, on_behalf_of
         FROM ${db}.tokens FINAL WHERE token_id = {id:String}`,
        { id: tokenId },
      );
      if (!issued) return null;
      const [revoked] = await q<{ revoked_ms: string; reason: string }>(
        `SELECT toUnixTimestamp64Milli(revoked_at) AS revoked_ms, reason FROM ${db}.token_revocations FINAL WHERE token_id = {id:String}`,
        { id: tokenId },
      );
      const s = (k: string): string => String(issued[k] ?? '');
      return {
        token_id: s('token_id'),
        agent_id: s('agent_id'),
        issuer: s('issuer'),
        scopes: (issued['scopes'] as string[]) ?? [],
        audience: (issued['audience'] as string[]) ?? [],
        issued_at: isoOrNull(s('issued_ms')),
        expires_at: isoOrNull(s('expires_ms')),
        grant_type: emptyToNull(s('grant_type')),
        parent_token_id: emptyToNull(s('parent_token_id')),
        task_id: emptyToNull(s('task_id')),
        on_behalf_of: emptyToNull(s('on_behalf_of')),
        revoked_at: revoked ? isoOrNull(revoked.revoked_ms) : null,
        revoke_reason: revoked ? emptyToNull(revoked.reason) : null,
      };
    },

    async recordRegistryVersion(v) {
      const content = await encodeRegistryContent(v.content);
      const row = { loaded_at: chTime(v.loadedAtMs), sha256: v.sha256, agent_count: v.agentCount, source: v.source, content };
      await insert('registry_versions', [row], `registry:${v.loadedAtMs}:${v.sha256}`);
    },

    async insertRejectedRecords(records) {
      if (records.length === 0) return;
      // A reject may be one for invalid text (a lone surrogate ClickHouse's JSON reader refuses): kept with the
      // surrogate replaced by U+FFFD, so keeping it cannot fail the way storing it did.
      const wf = (t: string): string => t.toWellFormed();
      const rows = records.map((r) => ({
        received_at: chTime(r.receivedAtMs),
        source: wf(r.source),
        format: wf(r.format),
        reason: wf(r.reason),
        path: wf(r.path ?? ''),
        raw: wf(r.raw.length > MAX_REJECTED_RAW_CHARS ? r.raw.slice(0, MAX_REJECTED_RAW_CHARS) : r.raw),
        raw_bytes: r.rawBytes ?? Buffer.byteLength(r.raw),
      }));
      // The token leaves out received_at, so the same rejects sent again (a client retrying) are one block.
      const token = `rejected:${sha256(JSON.stringify(records.map((r) => [r.source, r.format, r.reason, r.path ?? '', r.raw])))}`;
      await insert('rejected_records', rows, token);
    },

    async queryRejectedRecords(filters = {}) {
      const where = filters.source === undefined ? '' : 'WHERE source = {source:String}';
      const rows = await q<{ received_ms: string; source: string; format: string; reason: string; path: string; raw: string; raw_bytes: string }>(
        `SELECT toUnixTimestamp64Milli(received_at) AS received_ms, source, format, reason, path, raw, raw_bytes
         FROM ${db}.rejected_records ${where} ORDER BY received_at DESC LIMIT {lim:UInt32}`,
        { ...(filters.source === undefined ? {} : { source: filters.source }), lim: clampInt(filters.limit, 1000, 1, 10_000) },
      );
      return rows.map((r) => ({
        source: r.source,
        format: r.format,
        reason: r.reason,
        path: r.path,
        raw: r.raw,
        rawBytes: Number(r.raw_bytes),
        receivedAtMs: Number(r.received_ms),
      }));
    },

    async latestRegistryVersion() {
      const [r] = await q<{ loaded_ms: string; sha256: string; agent_count: number; source: string; content: string }>(
        `SELECT toUnixTimestamp64Milli(loaded_at) AS loaded_ms, sha256, agent_count, source, content
         FROM ${db}.registry_versions FINAL ORDER BY loaded_at DESC, sha256 DESC LIMIT 1`,
      );
      return r ? { loaded_at: isoOrNull(r.loaded_ms), sha256: r.sha256, agent_count: Number(r.agent_count), source: r.source, content: r.content } : null;
    },

    async close() {
      await serial(async () => undefined);
      await client.close();
    },

    // --- API 1.1 concerns (see the Store interface): each built from {@link StoreContext}.
    // triage
    triage: createTriageStore(ctx),

    // incidents
    incidents: createIncidentStore(ctx),

    // suppressions
    suppressions: createSuppressionStore(ctx),

    // the exporters' outbox
    outbox,

    // API tokens and registry versions
    admin: createAdminStore(ctx),
  };
  return store;
}

/** The WHERE clause of an events query (parameters in {@link eventsQueryParams}). */
function eventsWhere(filters: EventFilters): string[] {
  const where: string[] = [];
  if (filters.agent_id !== undefined) where.push('agent_id = {agent:String}');
  if (filters.kind !== undefined) where.push('kind = {kind:String}');
  if (filters.since !== undefined) where.push(`time >= fromUnixTimestamp64Milli({since:Int64}, 'UTC')`);
  if (filters.until !== undefined) where.push(`time < fromUnixTimestamp64Milli({until:Int64}, 'UTC')`);
  if (filters.ingestedSince !== undefined) where.push(`ingested_at >= fromUnixTimestamp64Milli({ingested:Int64}, 'UTC')`);
  if (filters.after !== undefined) where.push(`(time, event_id) > (fromUnixTimestamp64Milli({afterTime:Int64}, 'UTC'), {afterId:String})`);
  return where;
}

function eventsQueryParams(filters: EventFilters): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  if (filters.agent_id !== undefined) params['agent'] = filters.agent_id;
  if (filters.kind !== undefined) params['kind'] = filters.kind;
  if (filters.since !== undefined) params['since'] = toMs(filters.since);
  if (filters.until !== undefined) params['until'] = toMs(filters.until);
  if (filters.ingestedSince !== undefined) params['ingested'] = filters.ingestedSince;
  if (filters.after !== undefined) {
    // The cursor's time is an event's claim: compared as stored (clamped into the column's range, event-rows.ts).
    params['afterTime'] = clampStoredTimeMs(toMs(filters.after.time));
    params['afterId'] = filters.after.event_id;
  }
  params['lim'] = clampInt(filters.limit, 1000, 1, 10_000);
  return params;
}
