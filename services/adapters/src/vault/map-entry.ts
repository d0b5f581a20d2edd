import { z } from 'zod';
import { emptyResult, finishEvent, isObject, mergeInto, rejected, stableEventId } from '../common.ts';
import type { AdapterResult } from '../types.ts';
import { actionFor, authMount, type CompiledPathAction, resourceName, toolName } from './actions.ts';
import { AttributeBag, authAttributes, policiesOf, requestAttributes } from './attributes.ts';
import { contentHash } from './content-hash.ts';
import { type AuditEntry, authString, describe } from './entry.ts';
import { agentIdFrom } from './identity.ts';
import type { VaultOptions } from './options.ts';
import { revocationOf } from './revocation.ts';
import type { TokenMemory } from './token-memory.ts';

export interface MapContext {
  options: VaultOptions;
  pathActions: readonly CompiledPathAction[];
  memory: TokenMemory;
}

/** Latest time RFC 3339 can write with a 4-digit year: the expiry of tokens Vault issued without a TTL. */
export const NO_EXPIRY = '9999-12-31T23:59:59.999Z';
const NO_EXPIRY_MS = Date.parse(NO_EXPIRY);

const IpAddress = z.union([z.ipv4(), z.ipv6()]);
const PERMISSION_DENIED = /permission denied/i;
const RENEWAL = /^auth\/token\/renew(?:-self|-accessor)?(?:\/|$)/;

/**
 * The id Vault gives the token: its accessor; batch tokens have none, and then the HMAC'd client token
 * is the only stable handle (it is what later requests carry too).
 */
function tokenIdOf(auth: Record<string, unknown>, fallbackClientToken?: string): string | undefined {
  return authString(auth, 'accessor') ?? (auth['token_type'] === 'batch' ? (authString(auth, 'client_token') ?? fallbackClientToken) : undefined);
}

/** TTL in seconds: `token_ttl` in audit entries, `lease_duration` in API-shaped copies. Absent = no TTL. */
function ttlSeconds(auth: Record<string, unknown>): number | string {
  for (const key of ['token_ttl', 'lease_duration']) {
    const v = auth[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return `response.auth.${key}: expected a number of seconds >= 0, got ${describe(v)}`;
    return v;
  }
  return 0;
}

function expiresAt(time: string, ttl: number): string {
  if (ttl <= 0) return NO_EXPIRY;
  return new Date(Math.min(Date.parse(time) + ttl * 1000, NO_EXPIRY_MS)).toISOString();
}

/** What one entry says about its caller, plus the shared event envelope. */
interface EntryView {
  entry: AuditEntry;
  ctx: MapContext;
  eventId: (suffix: string) => string;
  /** The token Vault authenticated the call with; absent for logins and for tokens Vault refused. */
  authenticatedTokenId: string | undefined;
  /** That, or for a refused token the accessor this adapter saw it under before (expired, revoked). */
  callerTokenId: string | undefined;
  callerAgent: string | undefined;
  envelope: (auth: Record<string, unknown>, extra?: Record<string, unknown>) => Record<string, unknown>;
}

function viewOf(entry: AuditEntry, ctx: MapContext): EntryView {
  const { options: o, memory } = ctx;
  const req = entry.request;
  const key = req.id ?? `h-${contentHash(entry.raw)}`;
  const callerClientToken = authString(entry.auth, 'client_token') ?? req.clientToken;
  memory.link(callerClientToken, authString(entry.auth, 'accessor') ?? req.clientTokenAccessor);
  const authenticatedTokenId = tokenIdOf(entry.auth, callerClientToken) ?? req.clientTokenAccessor;
  const callerTokenId = authenticatedTokenId ?? memory.accessorOf(callerClientToken);
  const validIp = req.remoteAddress !== undefined && IpAddress.safeParse(req.remoteAddress).success;
  return {
    entry,
    ctx,
    eventId: (suffix) => stableEventId('vault', key, suffix),
    authenticatedTokenId,
    callerTokenId,
    callerAgent: agentIdFrom(entry.auth, entry.raw, o.agentIdPaths, o.agentIdPrefix) ?? memory.agentOf(callerTokenId),
    envelope: (auth, extra = {}) => {
      const bag = requestAttributes(new AttributeBag(), entry);
      if (!validIp) bag.put('vault.remote_address', req.remoteAddress);
      for (const [k, v] of Object.entries(extra)) bag.put(k, v);
      authAttributes(bag, auth);
      return {
        time: entry.time,
        source: 'vault',
        environment: o.environment || undefined,
        source_ip: validIp ? req.remoteAddress : undefined,
        attributes: bag.values,
      };
    },
  };
}

/** `response.auth` -> `token_issued` for the token's subject (logins, `auth/token/create*`, renewals). */
function issuedToken(v: EntryView, newAuth: Record<string, unknown>, tokenId: string): AdapterResult {
  const { entry, ctx } = v;
  const { options: o, memory } = ctx;
  const req = entry.request;
  const renewal = tokenId === v.callerTokenId || RENEWAL.test(req.path);
  const subject = agentIdFrom(newAuth, entry.raw, o.agentIdPaths, o.agentIdPrefix) ?? memory.agentOf(tokenId) ?? (renewal ? v.callerAgent : undefined);
  if (subject === undefined) return rejected(`response.auth: the issued token has no agent identity (looked at ${o.agentIdPaths.join(', ')})`);
  const ttl = ttlSeconds(newAuth);
  if (typeof ttl === 'string') return rejected(ttl);
  memory.link(authString(newAuth, 'client_token'), tokenId);
  memory.issuedTo(tokenId, subject);
  const mount = authMount(req.mountPoint, req.path);
  return finishEvent({
    kind: 'token_issued',
    event_id: v.eventId('issued'),
    agent_id: subject,
    ...v.envelope(newAuth, { 'vault.renewal': renewal ? 'true' : undefined, 'vault.issued_by': renewal ? undefined : v.callerAgent }),
    token_id: tokenId,
    issuer: `${o.issuer}/${req.namespacePath}${mount}`,
    scopes: policiesOf(newAuth),
    expires_at: expiresAt(entry.time, ttl),
    grant_type: `vault:${req.mountType ?? (mount.split('/').pop() || 'unknown')}`,
    parent_token_id: renewal ? undefined : v.authenticatedTokenId,
  });
}

/** A successful token revocation -> `token_revoked`, attributed to the token's holder when known, else to the revoker. */
function revokedToken(v: EntryView, tokenId: string): AdapterResult {
  const holder = v.ctx.memory.agentOf(tokenId) ?? v.callerAgent ?? (v.ctx.options.unauthenticatedAgentId || undefined);
  if (holder === undefined) return rejected(`auth: revocation of ${tokenId} by an unidentified caller, and the token's holder is unknown`);
  return finishEvent({
    kind: 'token_revoked',
    event_id: v.eventId('revoked'),
    agent_id: holder,
    ...v.envelope(v.entry.auth, { 'vault.revoked_by': v.callerAgent }),
    token_id: tokenId,
    reason: v.entry.request.path.replace(/\/+$/, ''),
  });
}

/** The call itself -> `tool_call`, or for `permission denied` a `policy_decision` deny (option `deniedAs`). */
function callEvents(v: EntryView, revocationNote: string | undefined): AdapterResult {
  const { entry, ctx } = v;
  const o = ctx.options;
  const req = entry.request;
  const agent = v.callerAgent ?? (o.unauthenticatedAgentId || undefined);
  if (agent === undefined) {
    const what = `${req.operation} on ${describe(req.path)}${entry.error ? ` (error ${describe(entry.error)})` : ''}`;
    return rejected(
      `auth: no token accessor and no agent identity (looked at ${o.agentIdPaths.join(', ')}) for ${what}; set unauthenticatedAgentId to map these`,
    );
  }
  const envelope = v.envelope(entry.auth, {
    'vault.response': entry.type === 'request' ? 'missing: outcome taken from the request entry' : undefined,
    'vault.revocation': revocationNote,
    'vault.unauthenticated': v.callerAgent === undefined ? 'true' : undefined,
  });
  const target = {
    tool: toolName(o.toolPrefix, req.mountType, req.path, req.operation),
    resource: resourceName(o.resourcePrefix, req.namespacePath, req.path),
    action: actionFor(req.operation, req.path, ctx.pathActions),
    token_id: v.callerTokenId,
  };
  const out = emptyResult();
  const denied = entry.error !== undefined && PERMISSION_DENIED.test(entry.error);
  if (denied && o.deniedAs !== 'tool_call') {
    mergeInto(
      out,
      finishEvent({ kind: 'policy_decision', event_id: v.eventId('deny'), agent_id: agent, ...envelope, decision: 'deny', policy: 'vault', ...target }),
    );
  }
  if (!denied || o.deniedAs !== 'policy_decision') {
    const outcome = denied ? 'denied' : entry.error !== undefined ? 'failure' : 'success';
    mergeInto(out, finishEvent({ kind: 'tool_call', event_id: v.eventId('call'), agent_id: agent, ...envelope, ...target, outcome }));
  }
  return out;
}

/**
 * Maps one audit entry to canonical events. A `response` entry is final: it carries the request, the
 * caller's auth and the outcome. A `request` entry reaches here only when its response never came.
 *
 * - `response.auth` (a token Vault just issued: logins, `auth/token/create*`, renewals) -> `token_issued`.
 * - a successful token revocation whose token can be identified -> `token_revoked`.
 * - every call made with a token (or by an identifiable caller) -> `tool_call` / `policy_decision` deny.
 *   A login has no caller token: its token_issued says it all.
 */
export function mapEntry(entry: AuditEntry, ctx: MapContext): AdapterResult {
  const v = viewOf(entry, ctx);
  const out = emptyResult();
  const isResponse = entry.type === 'response';
  const newAuth = isResponse && isObject(entry.response?.['auth']) ? entry.response['auth'] : undefined;
  const newTokenId = newAuth ? (authString(newAuth, 'accessor') ?? authString(newAuth, 'client_token')) : undefined;
  if (newAuth && newTokenId !== undefined) mergeInto(out, issuedToken(v, newAuth, newTokenId));

  const revocation = isResponse && entry.error === undefined ? revocationOf(entry.request, v.callerTokenId, ctx.memory) : undefined;
  if (revocation?.tokenId !== undefined) mergeInto(out, revokedToken(v, revocation.tokenId));

  // A login (Vault authenticated no caller token) is fully described by its token_issued.
  if (newTokenId !== undefined && v.authenticatedTokenId === undefined) return out;
  return mergeInto(out, callEvents(v, revocation?.unidentified));
}
