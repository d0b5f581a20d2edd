import { decodeRegistryContent } from './registry-content.ts';
import { chTime } from './rows.ts';
import type { RegistryVersion } from './store.ts';
import type { StoreContext } from './store-context.ts';

/**
 * An API token as stored (`api_tokens`, migrations 007 and 015): never the token itself, only its SHA-256. `role` is
 * text here; the API checks it against its roles.
 */
export interface ApiTokenRecord {
  token_hash: string;
  token_id: string;
  role: string;
  /** '' for tokens created before names existed. */
  name: string;
  /** `token:<id>`, `bootstrap`, `cli`; '' for tokens created before this was kept. */
  created_by: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

/** A token to store: its hash and metadata (times in ms). */
export interface NewApiToken {
  tokenHash: string;
  tokenId: string;
  role: string;
  name: string;
  createdBy: string;
  createdAtMs: number;
  expiresAtMs: number | null;
}

/** A loaded registry version without its content (GET /v1/registry/versions). */
export type RegistryVersionSummary = Omit<RegistryVersion, 'content'>;

/** API tokens and registry versions (API 1.1: routes/admin.ts); all their SQL is here. */
export interface AdminStore {
  insertApiToken(token: NewApiToken): Promise<void>;
  /** The token with this hash (revoked or not), or null. */
  apiTokenByHash(tokenHash: string): Promise<ApiTokenRecord | null>;
  /** The token with this id (revoked or not), or null. */
  apiTokenById(tokenId: string): Promise<ApiTokenRecord | null>;
  /** Every token, oldest first. */
  listApiTokens(): Promise<ApiTokenRecord[]>;
  /**
   * Marks the token revoked at `atMs` (a token revoked before keeps its first revocation time). Returns the token as
   * it now stands, or null when there is no such token_id.
   */
  revokeApiToken(tokenId: string, atMs: number): Promise<ApiTokenRecord | null>;
  /** Every registry load recorded, newest first, without content. */
  registryVersions(): Promise<RegistryVersionSummary[]>;
  /** The latest load of the registry with this SHA-256, with its content; null when never loaded. */
  registryVersion(sha256: string): Promise<RegistryVersion | null>;
}

interface TokenRow {
  token_hash: string;
  token_id: string;
  role: string;
  name: string;
  created_by: string;
  created_ms: string;
  expires_ms: string | null;
  revoked_ms: string | null;
}

interface VersionRow {
  loaded_ms: string;
  sha256: string;
  agent_count: number | string;
  source: string;
  content?: string;
}

const iso = (ms: string | number): string => new Date(Number(ms)).toISOString();
const isoOrNull = (ms: string | number | null): string | null => (ms === null ? null : iso(ms));

const TOKEN_SELECT = `token_hash, token_id, role, name, created_by, toUnixTimestamp64Milli(created_at) AS created_ms,
  toUnixTimestamp64Milli(expires_at) AS expires_ms, toUnixTimestamp64Milli(revoked_at) AS revoked_ms`;

const toRecord = (r: TokenRow): ApiTokenRecord => ({
  token_hash: r.token_hash,
  token_id: r.token_id,
  role: r.role,
  name: r.name,
  created_by: r.created_by,
  created_at: iso(r.created_ms),
  expires_at: isoOrNull(r.expires_ms),
  revoked_at: isoOrNull(r.revoked_ms),
});

const toSummary = (r: VersionRow): RegistryVersionSummary => ({
  loaded_at: iso(r.loaded_ms),
  sha256: r.sha256,
  agent_count: Number(r.agent_count),
  source: r.source,
});

/**
 * Builds the admin store on the store's context. A revocation is a newer row of the same token (ReplacingMergeTree on
 * `version`), so versions only grow within a process: microseconds of the clock, or one more than the last.
 */
export function createAdminStore(ctx: StoreContext, now: () => number = Date.now): AdminStore {
  const { db, q } = ctx;
  let lastVersion = 0;
  const nextVersion = (): number => {
    lastVersion = Math.max(now() * 1000, lastVersion + 1);
    return lastVersion;
  };
  const put = async (
    row: Omit<TokenRow, 'created_ms' | 'expires_ms' | 'revoked_ms'> & { created_ms: number; expires_ms: number | null; revoked_ms: number | null },
  ) => {
    const version = nextVersion();
    await ctx.insert(
      'api_tokens',
      [
        {
          token_hash: row.token_hash,
          token_id: row.token_id,
          role: row.role,
          name: row.name,
          created_by: row.created_by,
          created_at: chTime(row.created_ms),
          expires_at: row.expires_ms === null ? null : chTime(row.expires_ms),
          revoked_at: row.revoked_ms === null ? null : chTime(row.revoked_ms),
          version,
        },
      ],
      `api_tokens:${row.token_hash}:${version}`,
    );
  };
  const select = (where: string, params: Record<string, unknown>): Promise<TokenRow[]> =>
    q<TokenRow>(`SELECT ${TOKEN_SELECT} FROM ${db}.api_tokens FINAL ${where} ORDER BY created_at, token_id`, params);
  const byId = async (tokenId: string): Promise<ApiTokenRecord | null> => {
    const [row] = await select('WHERE token_id = {id:String}', { id: tokenId });
    return row ? toRecord(row) : null;
  };

  return {
    async insertApiToken(t) {
      await put({
        token_hash: t.tokenHash,
        token_id: t.tokenId,
        role: t.role,
        name: t.name,
        created_by: t.createdBy,
        created_ms: t.createdAtMs,
        expires_ms: t.expiresAtMs,
        revoked_ms: null,
      });
    },

    async apiTokenByHash(tokenHash) {
      const [row] = await select('WHERE token_hash = {h:String}', { h: tokenHash });
      return row ? toRecord(row) : null;
    },

    apiTokenById: byId,

    async listApiTokens() {
      return (await select('', {})).map(toRecord);
    },

    async revokeApiToken(tokenId, atMs) {
      const rows = await select('WHERE token_id = {id:String}', { id: tokenId });
      if (rows.length === 0) return null;
      for (const r of rows) {
        if (r.revoked_ms !== null) continue;
        await put({
          ...r,
          created_ms: Number(r.created_ms),
          expires_ms: r.expires_ms === null ? null : Number(r.expires_ms),
          revoked_ms: atMs,
        });
      }
      return byId(tokenId);
    },

    async registryVersions() {
      const rows = await q<VersionRow>(
        `SELECT toUnixTimestamp64Milli(loaded_at) AS loaded_ms, sha256, agent_count, source
         FROM ${db}.registry_versions FINAL ORDER BY loaded_at DESC, sha256 DESC`,
      );
      return rows.map(toSummary);
    },

    async registryVersion(sha256) {
      const [r] = await q<VersionRow>(
        `SELECT toUnixTimestamp64Milli(loaded_at) AS loaded_ms, sha256, agent_count, source, content
         FROM ${db}.registry_versions FINAL WHERE sha256 = {sha:String} ORDER BY loaded_at DESC LIMIT 1`,
        { sha: sha256 },
      );
      return r ? { ...toSummary(r), content: await decodeRegistryContent(r.content ?? '') } : null;
    },
  };
}
