import type { ClickHouseClient } from '@clickhouse/client';
import type { QueuedVersion } from './outbox-store.ts';

/**
 * What a store module (one concern's SQL: triage, incidents, suppressions, tokens ...) is built from: the one client
 * and the helpers every query goes through, so each concern keeps its SQL in its own file of this package.
 */
export interface StoreContext {
  readonly client: ClickHouseClient;
  /** The database name (checked: letters, digits and _), for `${db}.table`. */
  readonly db: string;
  /** A SELECT answered as JSONEachRow rows, with `{name:Type}` parameters. */
  q<T>(query: string, params?: Record<string, unknown>): Promise<T[]>;
  /** A statement without an answer (DDL, ALTER, DELETE), with `{name:Type}` parameters. */
  command(query: string, params?: Record<string, unknown>): Promise<void>;
  /**
   * Inserts JSON rows into `${db}.${table}` with an explicit deduplication token (required on chdb, see store.ts):
   * the same rows with the same token again are dropped, so a retried call stores once.
   */
  insert(table: string, values: object[], token: string): Promise<void>;
  /**
   * Runs `fn` after every read-modify-write of alerts started before it in this process (insertAlerts, triage
   * changes), so a detection re-emission and a triage change never overwrite each other's fields.
   */
  serial<T>(fn: () => Promise<T>): Promise<T>;
  /** The next `version` of an alert row (ReplacingMergeTree(version): the highest wins), above `prev`. */
  nextVersion(prev: number): number;
  /** Queues alert versions for the exporters (outbox-store.ts); call inside `serial`, before writing the alert rows. */
  queueExports(versions: QueuedVersion[]): Promise<void>;
}

/** A queue that runs read-modify-write steps one after another in this process (a failed step does not stop it). */
export function serialQueue(): <T>(fn: () => Promise<T>) => Promise<T> {
  let chain: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn, fn);
    chain = next.catch(() => undefined);
    return next;
  };
}

/**
 * Row versions for ReplacingMergeTree(version) tables: microseconds of this process's clock, always above the last
 * one given and above `prev` (the stored row's), so a newer write wins even within one microsecond or after a clock step.
 */
export function versionClock(): (prev: number) => number {
  let last = 0;
  return (prev: number): number => {
    last = Math.max(Date.now() * 1000, last + 1, prev + 1);
    return last;
  };
}
