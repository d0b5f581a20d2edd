import { type Alert, Alert as AlertSchema, type Incident, Incident as IncidentSchema } from '@agentwatch/schemas';
import type { StoredAlert } from './rows.ts';
import { chTime } from './rows.ts';
import { type StoreContext, serialQueue } from './store-context.ts';

/** One queued alert or incident version: what an exporter delivers (exporters.md). */
export type OutboxEntry = {
  /** Order of the rows of one writer; an exporter's cursor is the last seq it is done with. */
  seq: number;
  /** The export version: 1 for a new alert, +1 per change of count, status or severity. */
  version: number;
  queuedAtMs: number;
} & (
  | {
      kind: 'alert';
      alertId: string;
      /** The alert as it was at this version. */
      alert: Alert;
    }
  | {
      kind: 'incident';
      incidentId: string;
      /** The incident as it was at this version (OCSF exporters send it as a finding referencing its alerts). */
      incident: Incident;
    }
);

/** A version to queue: an alert's or an incident's. */
export type QueuedVersion = { alert: Alert; version: number } | { incident: Incident; version: number };

/** The key a receiver drops repeats by: `<alert_id>:<version>`, or `<incident_id>:<version>` for an incident. */
export const outboxKey = (e: OutboxEntry): string => `${e.kind === 'alert' ? e.alertId : e.incidentId}:${e.version}`;

/** How far one exporter got through one writer's outbox, with its counters (table export_cursors). */
export interface ExportCursor {
  exporter: string;
  writer: string;
  seq: number;
  delivered: number;
  failed: number;
  filtered: number;
  lastDeliveryMs: number | null;
  lastError: string;
  lastErrorAtMs: number | null;
}

/** An alert version a receiver refused for good, kept with the reason (table export_failed). */
export interface FailedExport {
  exporter: string;
  seq: number;
  alertId: string;
  version: number;
  failedAtMs: number;
  error: string;
}

export interface OutboxStore {
  /** This process's writer name (StoreConfig.writer): the outbox rows it queues and the cursors it advances. */
  readonly writer: string;
  /** This writer's rows after `afterSeq`, oldest first. */
  read(afterSeq: number, limit: number): Promise<OutboxEntry[]>;
  /** This writer's rows at or before `atOrBeforeSeq`, newest first (to recall what was delivered before a restart). */
  readBefore(atOrBeforeSeq: number, limit: number): Promise<OutboxEntry[]>;
  /** The last seq this writer queued (0: none). */
  head(): Promise<number>;
  /** How many of this writer's rows are after `afterSeq`, and when the oldest of them was queued. */
  backlog(afterSeq: number): Promise<{ count: number; oldestMs: number | null }>;
  cursor(exporter: string): Promise<ExportCursor | null>;
  saveCursor(c: ExportCursor, atMs: number): Promise<void>;
  recordFailed(failures: FailedExport[]): Promise<void>;
  /** Refused versions of one exporter, newest first. */
  failed(exporter: string, limit: number): Promise<FailedExport[]>;
  /** Calls `listener` after each queued batch (wakes idle exporters); returns the unsubscribe. */
  onQueued(listener: () => void): () => void;
}

/** What the alert writers of this package use: queue versions before the alert rows that carry them are written. */
export interface OutboxWriter {
  queue(versions: QueuedVersion[]): Promise<void>;
}

/** Fields whose change makes a new export version (exporters.md: count, status or severity). */
const exportChanged = (a: Alert, b: Alert): boolean => a.count !== b.count || a.status !== b.status || a.severity !== b.severity;

/**
 * The export version `next` gets when it replaces `prev` (undefined: a new alert): 1 for a new alert, +1 when count,
 * status or severity changed, else the same (no delivery is due).
 */
export function nextExportVersion(prev: StoredAlert | undefined, next: Alert): { version: number; due: boolean } {
  if (!prev) return { version: 1, due: true };
  if (prev.exportVersion === 0 || exportChanged(prev.alert, next)) return { version: prev.exportVersion + 1, due: true };
  return { version: prev.exportVersion, due: false };
}

/** Keys queued lately by this process, so a retried alert write (its alert insert failed) does not queue twice. */
const RECENT_QUEUED = 50_000;

interface OutboxRow {
  seq: string;
  kind: string;
  alert_id: string;
  version: number;
  queued_at_ms: string;
  alert: string;
}

const readRow = (r: OutboxRow): OutboxEntry => {
  const base = { seq: Number(r.seq), version: Number(r.version), queuedAtMs: Number(r.queued_at_ms) };
  return r.kind === 'incident'
    ? { ...base, kind: 'incident', incidentId: r.alert_id, incident: IncidentSchema.parse(JSON.parse(r.alert)) }
    : { ...base, kind: 'alert', alertId: r.alert_id, alert: AlertSchema.parse(JSON.parse(r.alert)) };
};

const OUTBOX_SELECT = 'seq, kind, alert_id, version, toUnixTimestamp64Milli(queued_at) AS queued_at_ms, alert';

/** The id and JSON an outbox row stores for a version (the `alert_id` column holds an incident's id for an incident). */
const subject = (v: QueuedVersion): { kind: 'alert' | 'incident'; id: string; json: string } =>
  'alert' in v
    ? { kind: 'alert', id: v.alert.alert_id, json: JSON.stringify(v.alert) }
    : { kind: 'incident', id: v.incident.incident_id, json: JSON.stringify(v.incident) };

/**
 * The outbox of exporters.md: alert versions queued in the store, one log per writer (process), read by each
 * exporter from its saved cursor. `seq` comes from a clock seeded with the writer's highest stored seq, so it keeps
 * rising across restarts and clock steps; every queue runs inside the store's serial queue (store.ts), so rows become
 * visible in seq order and a reader never skips one. Queueing has a lock of its own too (alerts and incidents are written
 * from separate serial queues): a seq is only handed out once every lower one is stored.
 */
export function createOutboxStore(ctx: StoreContext, writer: string): OutboxStore & OutboxWriter {
  const { db, q, insert } = ctx;
  let last: Promise<number> | null = null;
  const seed = (): Promise<number> => {
    last ??= q<{ m: string }>(`SELECT max(seq) AS m FROM ${db}.alert_outbox WHERE writer = {w:String}`, { w: writer }).then(
      (r) => Number(r[0]?.m ?? 0),
      (err: unknown) => {
        last = null; // not seeded: the next queue tries again
        throw err;
      },
    );
    return last;
  };
  let lastSeq = 0;
  const recent = new Set<string>();
  const listeners = new Set<() => void>();
  const queueLock = serialQueue();

  return {
    writer,

    queue(versions) {
      if (versions.length === 0) return Promise.resolve();
      return queueLock(async () => {
        lastSeq = Math.max(lastSeq, await seed());
        const fresh = versions.map((v) => ({ v, s: subject(v) })).filter(({ v, s }) => !recent.has(`${s.kind}:${s.id}:${v.version}`));
        if (fresh.length === 0) return;
        const now = Date.now();
        const first = lastSeq + 1;
        const rows = fresh.map(({ v, s }, i) => ({
          writer,
          seq: first + i,
          kind: s.kind,
          alert_id: s.id,
          version: v.version,
          queued_at: chTime(now),
          alert: s.json,
        }));
        await insert('alert_outbox', rows, `outbox:${writer}:${first}:${rows.length}`);
        // Only after the insert: a failed one leaves these seqs to the next queue (nothing visible skipped them).
        lastSeq = first + rows.length - 1;
        for (const { v, s } of fresh) {
          recent.add(`${s.kind}:${s.id}:${v.version}`);
          if (recent.size > RECENT_QUEUED) recent.delete(recent.values().next().value as string);
        }
        for (const l of listeners) l();
      });
    },

    async read(afterSeq, limit) {
      const rows = await q<OutboxRow>(
        `SELECT ${OUTBOX_SELECT} FROM ${db}.alert_outbox FINAL WHERE writer = {w:String} AND seq > {after:UInt64} ORDER BY seq LIMIT {limit:UInt32}`,
        { w: writer, after: afterSeq, limit },
      );
      return rows.map(readRow);
    },

    async readBefore(atOrBeforeSeq, limit) {
      const rows = await q<OutboxRow>(
        `SELECT ${OUTBOX_SELECT} FROM ${db}.alert_outbox FINAL WHERE writer = {w:String} AND seq <= {at:UInt64} ORDER BY seq DESC LIMIT {limit:UInt32}`,
        { w: writer, at: atOrBeforeSeq, limit },
      );
      return rows.map(readRow);
    },

    async head() {
      return Math.max(lastSeq, await seed());
    },

    async backlog(afterSeq) {
      const r = await q<{ n: string; oldest: string | null }>(
        `SELECT count() AS n, if(n = 0, NULL, toUnixTimestamp64Milli(min(queued_at))) AS oldest
           FROM ${db}.alert_outbox WHERE writer = {w:String} AND seq > {after:UInt64}`,
        { w: writer, after: afterSeq },
      );
      const n = Number(r[0]?.n ?? 0);
      return { count: n, oldestMs: n === 0 || r[0]?.oldest == null ? null : Number(r[0].oldest) };
    },

    async cursor(exporter) {
      const r = await q<{
        seq: string;
        delivered: string;
        failed: string;
        filtered: string;
        last_delivery_ms: string | null;
        last_error: string;
        last_error_at_ms: string | null;
      }>(
        `SELECT seq, delivered, failed, filtered, toUnixTimestamp64Milli(last_delivery) AS last_delivery_ms, last_error,
                toUnixTimestamp64Milli(last_error_at) AS last_error_at_ms
           FROM ${db}.export_cursors FINAL WHERE exporter = {e:String} AND writer = {w:String}`,
        { e: exporter, w: writer },
      );
      const row = r[0];
      if (!row) return null;
      return {
        exporter,
        writer,
        seq: Number(row.seq),
        delivered: Number(row.delivered),
        failed: Number(row.failed),
        filtered: Number(row.filtered),
        lastDeliveryMs: row.last_delivery_ms == null ? null : Number(row.last_delivery_ms),
        lastError: row.last_error,
        lastErrorAtMs: row.last_error_at_ms == null ? null : Number(row.last_error_at_ms),
      };
    },

    async saveCursor(c, atMs) {
      const row = {
        exporter: c.exporter,
        writer: c.writer,
        seq: c.seq,
        delivered: c.delivered,
        failed: c.failed,
        filtered: c.filtered,
        last_delivery: c.lastDeliveryMs == null ? null : chTime(c.lastDeliveryMs),
        last_error: c.lastError,
        last_error_at: c.lastErrorAtMs == null ? null : chTime(c.lastErrorAtMs),
        updated_at: chTime(atMs),
      };
      await insert('export_cursors', [row], `cursor:${c.exporter}:${c.writer}:${c.seq}:${c.delivered}:${c.failed}:${c.filtered}:${atMs}`);
    },

    async recordFailed(failures) {
      if (failures.length === 0) return;
      const rows = failures.map((f) => ({
        exporter: f.exporter,
        writer,
        seq: f.seq,
        alert_id: f.alertId,
        version: f.version,
        failed_at: chTime(f.failedAtMs),
        error: f.error,
      }));
      await insert('export_failed', rows, `failed:${writer}:${failures.map((f) => `${f.exporter}:${f.seq}`).join(',')}`);
    },

    async failed(exporter, limit) {
      const rows = await q<{ seq: string; alert_id: string; version: number; failed_at_ms: string; error: string }>(
        `SELECT seq, alert_id, version, toUnixTimestamp64Milli(failed_at) AS failed_at_ms, error FROM ${db}.export_failed FINAL
          WHERE exporter = {e:String} AND writer = {w:String} ORDER BY seq DESC LIMIT {limit:UInt32}`,
        { e: exporter, w: writer, limit },
      );
      return rows.map((r) => ({
        exporter,
        seq: Number(r.seq),
        alertId: r.alert_id,
        version: Number(r.version),
        failedAtMs: Number(r.failed_at_ms),
        error: r.error,
      }));
    },

    onQueued(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
