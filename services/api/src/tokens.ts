import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Store } from '@agentwatch/store';

/** API roles, weakest first: each role may do everything the roles before it may. */
export const ROLES = ['viewer', 'analyst', 'engineer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (v: unknown): v is Role => typeof v === 'string' && (ROLES as readonly string[]).includes(v);
export const roleRank = (r: Role): number => ROLES.indexOf(r);
/** True when `have` is `need` or stronger. */
export const roleAtLeast = (have: Role, need: Role): boolean => roleRank(have) >= roleRank(need);

/** A token as stored: never the token itself. */
export interface TokenInfo {
  token_id: string;
  role: Role;
  created_at: string;
  revoked_at: string | null;
}

/** A freshly created token: `token` is the plaintext, shown once and not recoverable. */
export interface CreatedToken {
  token: string;
  token_id: string;
  role: Role;
  created_at: string;
}

export interface TokenStore {
  /** Creates a token with this role; returns its plaintext once (only a SHA-256 hash is kept). */
  createToken(role: Role): Promise<CreatedToken>;
  /** The token's record when it is known and not revoked, else null. */
  verify(token: string): Promise<TokenInfo | null>;
  list(): Promise<TokenInfo[]>;
  /** Revokes by token_id; false when no such token. */
  revoke(tokenId: string): Promise<boolean>;
}

export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** Constant-time comparison of two tokens (through their hashes, so lengths never leak). */
export function tokensEqual(a: string, b: string): boolean {
  return timingSafeEqual(Buffer.from(hashToken(a), 'hex'), Buffer.from(hashToken(b), 'hex'));
}

const TOKEN_PREFIX = 'aw_';
const chTime = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
const iso = (ms: string | number): string => new Date(Number(ms)).toISOString();

export interface TokenStoreOptions {
  /** How long a verified token is remembered in memory (default 30 s): also the longest a revocation takes to bite. */
  cacheMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

interface TokenRow {
  token_hash: string;
  token_id: string;
  role: string;
  created_ms: string;
  revoked_ms: string | null;
}

/**
 * Tokens in the `api_tokens` table (migration 007) of the store's database. The store must be migrated first.
 * Every insert carries an explicit insert_deduplication_token (required on chdb, see the store README).
 */
export function createTokenStore(store: Store, opts: TokenStoreOptions = {}): TokenStore {
  const db = store.database;
  const cacheMs = opts.cacheMs ?? 30_000;
  const now = opts.now ?? Date.now;
  const cache = new Map<string, { info: TokenInfo; until: number }>();
  let lastVersion = 0;
  const nextVersion = (): number => {
    lastVersion = Math.max(now() * 1000, lastVersion + 1);
    return lastVersion;
  };

  const select = async (where: string, params: Record<string, unknown>): Promise<TokenRow[]> => {
    const rs = await store.client.query({
      query: `SELECT token_hash, token_id, role, toUnixTimestamp64Milli(created_at) AS created_ms, toUnixTimestamp64Milli(revoked_at) AS revoked_ms
              FROM ${db}.api_tokens FINAL ${where} ORDER BY created_at, token_id`,
      format: 'JSONEachRow',
      query_params: params,
    });
    return rs.json<TokenRow>();
  };
  const toInfo = (r: TokenRow): TokenInfo | null =>
    isRole(r.role) ? { token_id: r.token_id, role: r.role, created_at: iso(r.created_ms), revoked_at: r.revoked_ms === null ? null : iso(r.revoked_ms) } : null;
  const insert = async (row: Record<string, unknown>, dedup: string): Promise<void> => {
    await store.client.insert({
      table: `${db}.api_tokens`,
      values: [row],
      format: 'JSONEachRow',
      clickhouse_settings: { insert_deduplicate: 1, insert_deduplication_token: dedup },
    });
  };

  return {
    async createToken(role) {
      if (!isRole(role)) throw new Error(`role: expected one of ${ROLES.join(', ')}, got ${String(role)}`);
      const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
      const tokenHash = hashToken(token);
      const tokenId = tokenHash.slice(0, 16);
      const createdMs = now();
      const version = nextVersion();
      await insert(
        { token_hash: tokenHash, token_id: tokenId, role, created_at: chTime(createdMs), revoked_at: null, version },
        `api_tokens:${tokenHash}:${version}`,
      );
      return { token, token_id: tokenId, role, created_at: iso(createdMs) };
    },

    async verify(token) {
      if (!token) return null;
      const h = hashToken(token);
      const t = now();
      const hit = cache.get(h);
      if (hit && hit.until > t) return hit.info;
      cache.delete(h);
      const [row] = await select('WHERE token_hash = {h:String}', { h });
      const info = row ? toInfo(row) : null;
      if (!info || info.revoked_at !== null) return null;
      cache.set(h, { info, until: t + cacheMs });
      return info;
    },

    async list() {
      return (await select('', {})).map(toInfo).filter((i): i is TokenInfo => i !== null);
    },

    async revoke(tokenId) {
      const rows = await select('WHERE token_id = {id:String}', { id: tokenId });
      if (rows.length === 0) return false;
      const t = now();
      for (const r of rows) {
        if (r.revoked_ms !== null) continue;
        const version = nextVersion();
        await insert(
          { token_hash: r.token_hash, token_id: r.token_id, role: r.role, created_at: chTime(Number(r.created_ms)), revoked_at: chTime(t), version },
          `api_tokens:${r.token_hash}:${version}`,
        );
        cache.delete(r.token_hash);
      }
      return true;
    },
  };
}

/** An in-memory token store (tests, or a deployment without persistent tokens). */
export function createMemoryTokenStore(): TokenStore {
  const byHash = new Map<string, TokenInfo>();
  return {
    async createToken(role) {
      if (!isRole(role)) throw new Error(`role: expected one of ${ROLES.join(', ')}, got ${String(role)}`);
      const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
      const h = hashToken(token);
      const info: TokenInfo = { token_id: h.slice(0, 16), role, created_at: new Date().toISOString(), revoked_at: null };
      byHash.set(h, info);
      return { token, token_id: info.token_id, role, created_at: info.created_at };
    },
    async verify(token) {
      const info = byHash.get(hashToken(token));
      return info && info.revoked_at === null ? info : null;
    },
    async list() {
      return [...byHash.values()];
    },
    async revoke(tokenId) {
      let found = false;
      for (const [h, info] of byHash) {
        if (info.token_id !== tokenId) continue;
        found = true;
        if (info.revoked_at === null) byHash.set(h, { ...info, revoked_at: new Date().toISOString() });
      }
      return found;
    },
  };
}
