import { durationToMs } from '@agentwatch/schemas';
import { delegationChainValue, FIELDS_IGNORED, fieldAt, idValue, takeField } from '../canonical-fields.ts';
import { finishEvent, firstString, rejected, stableEventId } from '../common.ts';
import type { AdapterResult } from '../types.ts';
import type { OktaOptions } from './options.ts';
import { agentOf, debugData, envelopeOf, findTarget, type LogEvent, logAttributes, noAgentReason, sameTokenType } from './record.ts';
import { obj, parseIsoTime, putAttribute, str } from './values.ts';

const MAX_SCOPES = 100;
const MAX_SCOPE_CHARS = 512;
const MAX_TOKEN_ID_CHARS = 256;
const tokenIdValue = (v: unknown): string | undefined => {
  const id = idValue(v);
  return id !== undefined && id.length <= MAX_TOKEN_ID_CHARS ? id : undefined;
};

/** Okta writes scope lists as one string, space- or comma-separated (`"okta.users.read, okta.logs.read"`); arrays are accepted too. */
export function scopeList(value: unknown): string[] | undefined {
  let items: unknown[];
  if (typeof value === 'string') items = value.split(/[\s,]+/);
  else if (Array.isArray(value)) items = value.slice(0, MAX_SCOPES * 2);
  else return undefined;
  const scopes = items.filter((s): s is string => typeof s === 'string' && s.length > 0 && s.length <= MAX_SCOPE_CHARS);
  return [...new Set(scopes)].slice(0, MAX_SCOPES);
}

/**
 * The issuer as Okta names it: a custom authorization server is `<orgUrl>/oauth2/<id>`, the org server
 * `<orgUrl>`; `debugData.issuer` wins when the event carries it.
 */
export function issuerOf(ev: LogEvent, opts: OktaOptions): string {
  const explicit = str(debugData(ev)['issuer']);
  if (explicit !== undefined) return explicit;
  const base = opts.orgUrl.replace(/\/+$/, '');
  const server = findTarget(ev, (t) => t === 'AuthorizationServer');
  const serverId = str(server?.['id']) ?? str(debugData(ev)['authorizationServerId']);
  if (serverId !== undefined) return base ? `${base}/oauth2/${serverId}` : `okta:oauth2/${serverId}`;
  return base || 'okta';
}

/**
 * A successful grant -> `token_issued` to the OAuth client. Token id, scopes and expiry come from the
 * granted token's target (`detailEntry.expires`, scopes) when there is one, else from `debugData`, else
 * from fallbacks recorded in `agentwatch.*_from` attributes: the event `uuid`, the requested scopes, and
 * `published + defaultTokenTtl`.
 */
export function mapGrant(ev: LogEvent, opts: OktaOptions, tokenType: string): AdapterResult {
  const agent = agentOf(ev, opts);
  if (agent === undefined) return rejected(noAgentReason(ev, opts));
  const dbg = debugData(ev);
  const token = findTarget(ev, (t) => sameTokenType(t, tokenType));
  const detail = obj(token?.['detailEntry']) ?? {};
  const attributes = logAttributes(ev);

  let tokenId = str(token?.['id']);
  let tokenIdFrom = 'target';
  if (tokenId === undefined) {
    tokenId = firstString(ev.raw, opts.tokenIdPaths);
    tokenIdFrom = 'debugData';
  }
  if (tokenId === undefined || tokenId.length > MAX_TOKEN_ID_CHARS) {
    tokenId = ev.uuid.length <= MAX_TOKEN_ID_CHARS ? ev.uuid : stableEventId('okta-token', ev.uuid);
    tokenIdFrom = 'uuid';
  }

  let scopes = scopeList(detail['grantedScopes']) ?? scopeList(detail['scopes']) ?? scopeList(dbg['grantedScopes']) ?? scopeList(dbg['scopes']);
  let scopesFrom = 'granted';
  if (scopes === undefined) {
    scopes = scopeList(dbg['requestedScopes']) ?? [];
    scopesFrom = scopes.length > 0 ? 'requested' : 'none';
  }

  let expiresAt = parseIsoTime(detail['expires']) ?? parseIsoTime(dbg['expiresAt']) ?? parseIsoTime(dbg['expires']);
  let expiresFrom = 'token';
  if (expiresAt === undefined) {
    expiresAt = new Date(Date.parse(ev.time) + durationToMs(opts.defaultTokenTtl)).toISOString();
    expiresFrom = 'defaultTokenTtl';
  }
  const audience = str(dbg['authorizationServerAudience']) ?? str(dbg['audience']);

  putAttribute(attributes, 'okta.token.type', token?.['type'] ?? tokenType);
  putAttribute(attributes, 'okta.token.subject', detail['subject']);
  putAttribute(attributes, 'okta.token.hash', detail['hash']);
  const server = findTarget(ev, (t) => t === 'AuthorizationServer');
  putAttribute(attributes, 'okta.authorization_server.id', server?.['id']);
  putAttribute(attributes, 'okta.authorization_server.name', server?.['displayName']);
  putAttribute(attributes, 'agentwatch.agent_id_from', agent.path);
  putAttribute(attributes, 'agentwatch.token_id_from', tokenIdFrom);
  putAttribute(attributes, 'agentwatch.scopes_from', scopesFrom);
  putAttribute(attributes, 'agentwatch.expires_at_from', expiresFrom);

  const ignored: string[] = [];
  const envelope = envelopeOf(ev, opts, attributes, ignored);
  const parentTokenId = takeField(fieldAt(ev.raw, opts.parentTokenIdPaths, tokenIdValue), 'parent_token_id', 'okta.parent_token_id', attributes, ignored);
  const chain = takeField(
    fieldAt(ev.raw, opts.delegationChainPaths, delegationChainValue, agent.agentId),
    'delegation_chain',
    'okta.delegation_chain',
    attributes,
    ignored,
  );
  if (ignored.length > 0) attributes[FIELDS_IGNORED] = ignored.join(',');

  return finishEvent({
    kind: 'token_issued',
    event_id: stableEventId(opts.source, ev.uuid),
    ...envelope,
    delegation_chain: chain,
    parent_token_id: parentTokenId,
    agent_id: agent.agentId,
    token_id: tokenId,
    issuer: issuerOf(ev, opts),
    scopes,
    audience: audience !== undefined ? [audience] : undefined,
    expires_at: expiresAt,
    grant_type: str(dbg['grantType']),
    attributes,
  });
}
