import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiTokenRecord, Store } from '@agentwatch/store';

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
  /** What the token is for ('' for tokens from before names). */
  name: string;
  created_at: string;
  /** From this time on (server clock) the token is refused with 401 "expired"; null: it does not expire. */
  expires_at: string | null;
  revoked_at: string | null;
  /** Who created it: `token:<id>`, `bootstrap` or `cli` ('' for tokens from before this was kept). */
  created_by: string;
}

/** A freshly created token: `token` is the plaintext, shown once and not recoverable. */
export interface CreatedToken {
  token: string;
  token_id: string;
  role: Role;
  name: string;
  created_at: string;
  expires_at: string | null;
}

/** What a new token carries besides its role. */
export interface NewTokenOptions {
  name?: string;
  /** Expiry (epoch ms); unset or null: never. */
  expiresAtMs?: number | null;
  createdBy?: string;
}

export interface TokenStore {
  /** Creates a token with this role; returns its plaintext once (only a SHA-256 hash is kept). Throws on an unknown role. */
  createToken(role: Role, opts?: NewTokenOptions): Promise<CreatedToken>;
  /**
   * The token's record when it is known and not revoked, else null. An expired token is returned (with its
   * `expires_at`): the caller refuses it by its own clock, see {@link isExpired}, so it can say why.
   */
  verify(token: string): Promise<TokenInfo | null>;
  list(): Promise<TokenInfo[]>;
  /** One token by id (revoked or not), or null. */
  get(tokenId: string): Promise<TokenInfo | null>;
  /** Revokes by token_id; false when no such token. */
  revoke(tokenId: string): Promise<boolean>;
}

/** True when the token has an expiry and `nowMs` is at or past it. */
export const isExpired = (info: Pick<TokenInfo, 'expires_at'>, nowMs: number): boolean => info.expires_at !== null && Date.parse(info.expires_at) <= nowMs;

export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** Constant-time comparison of two tokens (through their hashes, so lengths never leak). */
export function tokensEqual(a: string, b: string): boolean {
  return timingSafeEqual(Buffer.from(hashToken(a), 'hex'), Buffer.from(hashToken(b), 'hex'));
}

const TOKEN_PREFIX = 'aw_';

/** A new secret, its hash and id (the hash's first 16 hex digits). */
function newSecret(role: Role): { token: string; tokenHash: string; tokenId: string } {
  if (!isRole(role)) throw new Error(`role: expected one of ${ROLES.join(', ')}, got ${String(role)}`);
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const tokenHash = hashToken(token);
  return { token, tokenHash, tokenId: tokenHash.slice(0, 16) };
}

export interface TokenStoreOptions {
  /** How long a verified token is remembered in memory (default 30 s): also the longest a revocation made elsewhere takes to bite. */
  cacheMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

const toInfo = (r: ApiTokenRecord): TokenInfo | null =>
  isRole(r.role)
    ? {
        token_id: r.token_id,
        role: r.role,
        name: r.name,
        created_at: r.created_at,
        expires_at: r.expires_at,
        revoked_at: r.revoked_at,
        created_by: r.created_by,
      }
    : null;

/**
 * Tokens in the store's `api_tokens` table (migrations 007 and 015; the SQL is the store's admin module). The store
 * must be migrated first. A revocation through this token store bites at once; one made by another process within
 * `cacheMs`.
 */
export function createTokenStore(store: Store, opts: TokenStoreOptions = {}): TokenStore {
  const admin = store.admin;
  const cacheMs = opts.cacheMs ?? 30_000;
  const now = opts.now ?? Date.now;
  const cache = new Map<string, { info: TokenInfo; until: number }>();

  return {
    async createToken(role, o = {}) {
      const { token, tokenHash, tokenId } = newSecret(role);
      const createdAtMs = now();
      await admin.insertApiToken({
        tokenHash,
        tokenId,
        role,
        name: o.name ?? '',
        createdBy: o.createdBy ?? '',
        createdAtMs,
        expiresAtMs: o.expiresAtMs ?? null,
      });
      const expires = o.expiresAtMs ?? null;
      return {
        token,
        token_id: tokenId,
        role,
        name: o.name ?? '',
        created_at: new Date(createdAtMs).toISOString(),
        expires_at: expires === null ? null : new Date(expires).toISOString(),
      };
    },

    async verify(token) {
      if (!token) return null;
      const h = hashToken(token);
      const t = now();
      const hit = cache.get(h);
      if (hit && hit.until > t) return hit.info;
      cache.delete(h);
      const row = await admin.apiTokenByHash(h);
      const info = row ? toInfo(row) : null;
      if (!info || info.revoked_at !== null) return null;
      cache.set(h, { info, until: t + cacheMs });
      return info;
    },

    async list() {
      return (await admin.listApiTokens()).map(toInfo).filter((i): i is TokenInfo => i !== null);
    },

    async get(tokenId) {
      const row = await admin.apiTokenById(tokenId);
      return row ? toInfo(row) : null;
    },

    async revoke(tokenId) {
      const row = await admin.revokeApiToken(tokenId, now());
      if (!row) return false;
      cache.delete(row.token_hash);
      return true;
    },
  };
}

/** An in-memory token store (tests, or a deployment without persistent tokens). */
export function createMemoryTokenStore(): TokenStore {
  const byHash = new Map<string, TokenInfo>();
  return {
    async createToken(role, o = {}) {
      const { token, tokenHash, tokenId } = newSecret(role);
      const expires = o.expiresAtMs ?? null;
      const info: TokenInfo = {
        token_id: tokenId,
        role,
        name: o.name ?? '',
        created_at: new Date().toISOString(),
        expires_at: expires === null ? null : new Date(expires).toISOString(),
        revoked_at: null,
        created_by: o.createdBy ?? '',
      };
      byHash.set(tokenHash, info);
      return { token, token_id: tokenId, role, name: info.name, created_at: info.created_at, expires_at: info.expires_at };
    },
    async verify(token) {
      const info = byHash.get(hashToken(token));
      return info && info.revoked_at === null ? info : null;
    },
    async list() {
      return [...byHash.values()];
    },
    async get(tokenId) {
      return [...byHash.values()].find((i) => i.token_id === tokenId) ?? null;
    },
    async revoke(tokenId) {
      for (const [h, info] of byHash) {
        if (info.token_id !== tokenId) continue;
        if (info.revoked_at === null) byHash.set(h, { ...info, revoked_at: new Date().toISOString() });
        return true;
      }
      return false;
    },
  };
}
