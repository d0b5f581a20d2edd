import { createHash, randomUUID } from 'node:crypto';
import type { Alert, Suppression, SuppressionMatch, SuppressionRule } from '@agentwatch/schemas';
import { chTime } from './rows.ts';
import type { StoreContext } from './store-context.ts';

/** What POST /v1/suppressions stores (validated by the caller: a match field, a reason, a future expiry). */
export interface NewSuppression {
  match: SuppressionMatch;
  reason: string;
  author: string;
  expiresAtMs: number;
}

/** Suppressions and their hits (014_suppressions.sql), `store.suppressions`. */
export interface SuppressionStore {
  /** Stores a new suppression (a fresh random id) created at `nowMs`. */
  create(s: NewSuppression, nowMs: number): Promise<Suppression>;
  /**
   * Suppressions with hits, oldest first; `expired` is judged at `nowMs`. Without `includeExpired`, only those in
   * force (not deleted, not expired); with it, every one ever created (deleted ones with `deleted_at`).
   */
  list(opts: { includeExpired?: boolean; nowMs: number }): Promise<Suppression[]>;
  get(id: string, nowMs: number): Promise<Suppression | null>;
  /** Marks a suppression deleted at `nowMs` (a second delete keeps the first time); null when no such id. */
  remove(id: string, nowMs: number): Promise<Suppression | null>;
  /**
   * What the detection engines apply: every suppression not deleted, expired ones included (expiry is judged per
   * alert in event time, so a late event from before the expiry is still covered), oldest first.
   */
  inForce(): Promise<SuppressionRule[]>;
  /** Records the hits of emitted alerts: one per (suppression, alert id), the latest last_seen kept. Idempotent. */
  recordHits(alerts: readonly Alert[]): Promise<void>;
}

interface Row {
  id: string;
  match: string;
  reason: string;
  author: string;
  created_ms: string | number;
  expires_ms: string | number;
  deleted_ms: string | number | null;
  version: string | number;
}

const SELECT = `id, match, reason, author, toUnixTimestamp64Milli(created_at) AS created_ms, toUnixTimestamp64Milli(expires_at) AS expires_ms,
  toUnixTimestamp64Milli(deleted_at) AS deleted_ms, version`;
const iso = (ms: string | number): string => new Date(Number(ms)).toISOString();
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

export function createSuppressionStore(ctx: StoreContext): SuppressionStore {
  const { db, q, insert } = ctx;
  let lastVersion = 0;
  const nextVersion = (prev: number): number => {
    lastVersion = Math.max(Date.now() * 1000, lastVersion + 1, prev + 1);
    return lastVersion;
  };

  const rows = async (where: string, params: Record<string, unknown> = {}): Promise<Row[]> =>
    q<Row>(`SELECT ${SELECT} FROM ${db}.suppressions FINAL ${where} ORDER BY created_at, id`, params);

  const rule = (r: Row): SuppressionRule => ({
    id: r.id,
    match: JSON.parse(r.match) as SuppressionMatch,
    reason: r.reason,
    author: r.author,
    created_at: iso(r.created_ms),
    expires_at: iso(r.expires_ms),
  });

  /** Rows with their hit counts (hits table read once for all of them). */
  const withHits = async (list: Row[], nowMs: number): Promise<Suppression[]> => {
    if (list.length === 0) return [];
    const hits = await q<{ suppression_id: string; hits: string | number; last_ms: string | number }>(
      `SELECT suppression_id, count() AS hits, toUnixTimestamp64Milli(max(last_seen)) AS last_ms
       FROM ${db}.suppression_hits FINAL WHERE suppression_id IN {ids:Array(String)} GROUP BY suppression_id`,
      { ids: list.map((r) => r.id) },
    );
    const byId = new Map(hits.map((h) => [h.suppression_id, h]));
    return list.map((r) => {
      const h = byId.get(r.id);
      return {
        ...rule(r),
        hits: h ? Number(h.hits) : 0,
        last_hit: h ? iso(h.last_ms) : null,
        expired: Number(r.expires_ms) <= nowMs,
        deleted_at: r.deleted_ms === null ? null : iso(r.deleted_ms),
      };
    });
  };

  const write = async (r: {
    id: string;
    match: string;
    reason: string;
    author: string;
    createdMs: number;
    expiresMs: number;
    deletedMs: number | null;
    version: number;
  }) => {
    const row = {
      id: r.id,
      match: r.match,
      reason: r.reason,
      author: r.author,
      created_at: chTime(r.createdMs),
      expires_at: chTime(r.expiresMs),
      deleted_at: r.deletedMs === null ? null : chTime(r.deletedMs),
      version: r.version,
    };
    await insert('suppressions', [row], `suppressions:${sha256(JSON.stringify(row))}`);
  };

  const get = async (id: string, nowMs: number): Promise<Suppression | null> =>
    (await withHits(await rows('WHERE id = {id:String}', { id }), nowMs))[0] ?? null;

  return {
    async create(s, nowMs) {
      const id = randomUUID();
      await write({
        id,
        match: JSON.stringify(s.match),
        reason: s.reason,
        author: s.author,
        createdMs: nowMs,
        expiresMs: s.expiresAtMs,
        deletedMs: null,
        version: nextVersion(0),
      });
      return (await get(id, nowMs)) as Suppression;
    },

    async list({ includeExpired = false, nowMs }) {
      const list = includeExpired
        ? await rows('')
        : await rows(`WHERE deleted_at IS NULL AND expires_at > fromUnixTimestamp64Milli({now:Int64}, 'UTC')`, { now: nowMs });
      return withHits(list, nowMs);
    },

    get,

    async remove(id, nowMs) {
      const [r] = await rows('WHERE id = {id:String}', { id });
      if (!r) return null;
      if (r.deleted_ms === null) {
        await write({
          id: r.id,
          match: r.match,
          reason: r.reason,
          author: r.author,
          createdMs: Number(r.created_ms),
          expiresMs: Number(r.expires_ms),
          deletedMs: nowMs,
          version: nextVersion(Number(r.version)),
        });
      }
      return get(id, nowMs);
    },

    async inForce() {
      return (await rows('WHERE deleted_at IS NULL')).map(rule);
    },

    async recordHits(alerts) {
      const hits = alerts
        .filter((a) => a.status === 'suppressed' && a.suppression_id !== undefined)
        .map((a) => ({ suppression_id: a.suppression_id as string, alert_id: a.alert_id, last_seen: chTime(Date.parse(a.last_seen)) }));
      await insert('suppression_hits', hits, `suppression_hits:${sha256(JSON.stringify(hits))}`);
    },
  };
}
