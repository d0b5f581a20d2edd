import { fieldAt, idValue, takeField } from '../canonical-fields.ts';
import { firstString, getPath, rejected } from '../common.ts';
import type { AdapterResult } from '../types.ts';
import type { OktaOptions } from './options.ts';
import { describe, isIpAddress, obj, parseIsoTime, putAttribute, str } from './values.ts';

/** Targets looked at per event; real events carry a handful. */
const MAX_TARGETS = 50;
const MAX_EVENT_TYPE_CHARS = 256;

/** The fields every mapping needs, checked once. */
export interface LogEvent {
  raw: Record<string, unknown>;
  uuid: string;
  time: string;
  eventType: string;
  /** `outcome.result` upper-cased (`SUCCESS`, `FAILURE`, `ALLOW`, `DENY`, ...), if any. */
  result?: string;
  targets: Record<string, unknown>[];
}

/** Checks `uuid`, `published` and `eventType`; a reject names the first one that is wrong. */
export function readLogEvent(raw: Record<string, unknown>): LogEvent | AdapterResult {
  const uuid = raw['uuid'];
  if (typeof uuid !== 'string' || uuid.length === 0) return rejected(`uuid: expected a non-empty string, got ${describe(uuid)}`);
  const time = parseIsoTime(raw['published']);
  if (time === undefined) return rejected(`published: expected an ISO-8601 time with zone, got ${describe(raw['published'])}`);
  const eventType = raw['eventType'];
  if (typeof eventType !== 'string' || eventType.length === 0 || eventType.length > MAX_EVENT_TYPE_CHARS) {
    return rejected(`eventType: expected an event type such as "app.oauth2.as.token.grant.access_token", got ${describe(eventType)}`);
  }
  const result = str(obj(raw['outcome'])?.['result'])?.toUpperCase();
  const target = raw['target'];
  const targets = Array.isArray(target) ? target.slice(0, MAX_TARGETS).filter((t): t is Record<string, unknown> => obj(t) !== undefined) : [];
  return { raw, uuid, time, eventType, result, targets };
}

/** The first target whose `type` satisfies `match`. */
export function findTarget(ev: LogEvent, match: (type: string) => boolean): Record<string, unknown> | undefined {
  return ev.targets.find((t) => {
    const type = str(t['type']);
    return type !== undefined && match(type);
  });
}

/** Okta writes token target types as `access_token` and `AccessToken`; compare without case and underscores. */
export const sameTokenType = (a: string, b: string): boolean => a.replace(/_/g, '').toLowerCase() === b.replace(/_/g, '').toLowerCase();

export const debugData = (ev: LogEvent): Record<string, unknown> => obj(getPath(ev.raw, 'debugContext.debugData')) ?? {};

/** Whether the actor is a person (never the agent; the principal instead). */
export function actorIsPerson(ev: LogEvent, opts: OktaOptions): boolean {
  const type = str(obj(ev.raw['actor'])?.['type']);
  return type !== undefined && opts.personActorTypes.includes(type);
}

/** The agent: the first `agentIdPaths` value, `actor.*` paths skipped for person actors, with the prefix. */
export function agentOf(ev: LogEvent, opts: OktaOptions): { agentId: string; path: string } | undefined {
  const person = actorIsPerson(ev, opts);
  for (const path of opts.agentIdPaths) {
    if (person && (path === 'actor' || path.startsWith('actor.'))) continue;
    const v = firstString(ev.raw, [path]);
    if (v !== undefined) return { agentId: `${opts.agentIdPrefix}${v}`, path };
  }
  return undefined;
}

/** Why no agent was found, for the reject or skip reason. */
export function noAgentReason(ev: LogEvent, opts: OktaOptions): string {
  const person = actorIsPerson(ev, opts) ? ` (the actor is a person, actor.type ${str(obj(ev.raw['actor'])?.['type'])}, so actor.* paths are not used)` : '';
  return `no agent id: none of ${opts.agentIdPaths.join(', ')} is a non-empty string${person}`;
}

/** The person the agent acts for: a person actor, else a `User` target (whose token it is). */
export function principalOf(ev: LogEvent, opts: OktaOptions): string | undefined {
  const actor = obj(ev.raw['actor']);
  if (actorIsPerson(ev, opts)) return str(actor?.['alternateId']) ?? str(actor?.['id']);
  const user = findTarget(ev, (t) => t === 'User');
  return str(user?.['alternateId']) ?? str(user?.['id']);
}

/** Envelope fields shared by every event kind. */
export function envelopeOf(ev: LogEvent, opts: OktaOptions, attributes: Record<string, string>, ignored: string[]): Record<string, unknown> {
  const ip = str(obj(ev.raw['client'])?.['ipAddress']);
  return {
    time: ev.time,
    source: opts.source,
    environment: opts.environment || undefined,
    source_ip: ip !== undefined && isIpAddress(ip) ? ip : undefined,
    on_behalf_of: principalOf(ev, opts),
    session_id: takeField(fieldAt(ev.raw, opts.sessionIdPaths, idValue), 'session_id', 'okta.session_id', attributes, ignored),
    task_id: takeField(fieldAt(ev.raw, opts.taskIdPaths, idValue), 'task_id', 'okta.task_id', attributes, ignored),
  };
}

/**
 * What did not map, bounded and chosen field by field (never `debugData` wholesale: it can hold secrets,
 * e.g. a `clientSecret` in some grant events).
 */
export function logAttributes(ev: LogEvent): Record<string, string> {
  const r = ev.raw;
  const out: Record<string, string> = {};
  const actor = obj(r['actor']);
  const client = obj(r['client']);
  const dbg = debugData(ev);
  putAttribute(out, 'okta.event_type', ev.eventType);
  putAttribute(out, 'okta.legacy_event_type', r['legacyEventType']);
  putAttribute(out, 'okta.display_message', r['displayMessage']);
  putAttribute(out, 'okta.severity', r['severity']);
  putAttribute(out, 'okta.outcome.result', obj(r['outcome'])?.['result']);
  putAttribute(out, 'okta.outcome.reason', obj(r['outcome'])?.['reason']);
  putAttribute(out, 'okta.actor.id', actor?.['id']);
  putAttribute(out, 'okta.actor.type', actor?.['type']);
  putAttribute(out, 'okta.actor.alternate_id', actor?.['alternateId']);
  putAttribute(out, 'okta.actor.display_name', actor?.['displayName']);
  putAttribute(out, 'okta.client.id', client?.['id']);
  putAttribute(out, 'okta.client.zone', client?.['zone']);
  putAttribute(out, 'okta.client.user_agent', obj(client?.['userAgent'])?.['rawUserAgent']);
  const ip = str(client?.['ipAddress']);
  if (ip !== undefined && !isIpAddress(ip)) putAttribute(out, 'okta.client.ip_address', ip);
  putAttribute(out, 'okta.transaction.id', obj(r['transaction'])?.['id']);
  putAttribute(out, 'okta.transaction.type', obj(r['transaction'])?.['type']);
  putAttribute(out, 'okta.session.external_id', obj(r['authenticationContext'])?.['externalSessionId']);
  for (const key of ['requestUri', 'grantType', 'clientAuthType', 'requestedScopes', 'grantedScopes', 'authorizationServerName', 'requestId']) {
    putAttribute(out, `okta.debug.${key}`, dbg[key]);
  }
  return out;
}
