import type { VaultRequest } from './entry.ts';
import { MAX_FIELD_CHARS } from './entry.ts';
import type { TokenMemory } from './token-memory.ts';

/** A revocation request, and the token it revoked when that can be told from the entry. */
export interface Revocation {
  /** Accessor (or batch-token HMAC) of the revoked token; undefined when the entry does not say. */
  tokenId: string | undefined;
  /** Why the token could not be identified, for the tool_call's attributes. */
  unidentified?: string;
}

const TOKEN_REVOKE = /^auth\/token\/(revoke|revoke-orphan|revoke-self|revoke-accessor)(?:\/(.*))?$/;
const LEASE_REVOKE = /^sys\/(?:leases\/)?(revoke|revoke-prefix|revoke-force)(?:\/.*)?$/;

function dataString(data: Record<string, unknown> | undefined, key: string): string | undefined {
  const v = data?.[key];
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_FIELD_CHARS ? v : undefined;
}

/**
 * Which token a revocation endpoint revoked. `revoke-self` revokes the caller's own token;
 * `revoke-accessor` names the accessor in `data.accessor` (HMAC'd with the same audit salt as every other
 * accessor in the log, so it still joins); `revoke` / `revoke-orphan` name the client token, which maps to
 * an accessor only if this adapter saw that token before. Lease revocations (`sys/leases/revoke*`) name
 * leases or prefixes, not tokens: they are never a `token_revoked`.
 */
export function revocationOf(req: VaultRequest, callerTokenId: string | undefined, memory: TokenMemory): Revocation | undefined {
  const path = req.path.replace(/\/+$/, '');
  const m = TOKEN_REVOKE.exec(path);
  if (m) {
    const [, endpoint, suffix] = m;
    if (endpoint === 'revoke-self') {
      return callerTokenId ? { tokenId: callerTokenId } : { tokenId: undefined, unidentified: 'revoke-self without a caller accessor' };
    }
    if (endpoint === 'revoke-accessor') {
      const accessor = dataString(req.data, 'accessor') ?? (suffix || undefined);
      return accessor ? { tokenId: accessor } : { tokenId: undefined, unidentified: 'revoke-accessor without data.accessor' };
    }
    const token = dataString(req.data, 'token') ?? (suffix || undefined);
    const accessor = memory.accessorOf(token);
    return accessor ? { tokenId: accessor } : { tokenId: undefined, unidentified: `${endpoint} of a token this adapter never saw issued or used` };
  }
  if (LEASE_REVOKE.test(path)) return { tokenId: undefined, unidentified: 'lease revocation: names a lease or prefix, not a token' };
  return undefined;
}
