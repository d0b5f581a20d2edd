import { emptyResult, getPath, guardedMap, isObject, mapEntries, rejected, skipped } from '../common.ts';
import type { AdapterResult, RecordAdapter } from '../types.ts';
import { mapDecision } from './decision.ts';
import { mapGrant } from './grant.ts';
import { OktaOptions } from './options.ts';
import { readLogEvent } from './record.ts';
import { describe } from './values.ts';

export { OktaOptions } from './options.ts';

/** `app.oauth2.as.token.grant.access_token` (custom server), `app.oauth2.token.grant.id_token` (org server), bare `…token.grant`. */
const TOKEN_GRANT = /^app\.oauth2\.(?:as\.)?token\.grant(?:\.([A-Za-z0-9_]+))?$/;
/** Okta event hooks deliver `{ eventType: "com.okta.event_hook", data: { events: [...] } }`. */
const EVENT_HOOK = 'com.okta.event_hook';
const MAX_HOOK_EVENTS = 10_000;

const GRANTED = new Set(['SUCCESS', 'ALLOW']);
const REFUSED = new Set(['FAILURE', 'DENY']);

function mapOne(raw: unknown, opts: OktaOptions): AdapterResult {
  if (!isObject(raw)) return rejected(`record: expected an Okta LogEvent object, got ${describe(raw)}`);
  const ev = readLogEvent(raw);
  if (!('raw' in ev)) return ev;

  const grant = TOKEN_GRANT.exec(ev.eventType);
  if (grant) {
    // The bare `…token.grant` type is what Okta logs for refused grants; a granted one is an access token.
    const tokenType = grant[1] ?? 'access_token';
    if (ev.result !== undefined && REFUSED.has(ev.result)) return mapDecision(ev, opts, 'deny', 'grant');
    if (ev.result === undefined || !GRANTED.has(ev.result)) {
      return rejected(`outcome.result: expected SUCCESS, FAILURE, ALLOW or DENY on a token grant, got ${describe(ev.result)}`);
    }
    if (!opts.issuedTokenTypes.includes(tokenType)) {
      return skipped(`${ev.eventType}: grants a ${tokenType}, not an API credential tracked here (issuedTokenTypes)`);
    }
    return mapGrant(ev, opts, tokenType);
  }

  if (ev.eventType.startsWith('policy.')) {
    if (ev.result === 'DENY') return mapDecision(ev, opts, 'deny', 'policy');
    if (ev.result === 'ALLOW' && opts.mapPolicyAllows) return mapDecision(ev, opts, 'allow', 'policy');
    return skipped(`${ev.eventType} ${ev.result ?? '(no outcome)'}: only policy denials are mapped (mapPolicyAllows: ${opts.mapPolicyAllows})`);
  }
  return skipped(`${ev.eventType}: not a token grant or policy decision`);
}

/**
 * Okta System Log adapter: OAuth 2.0 token grants -> `token_issued`, refused grants and policy denials
 * -> `policy_decision` deny (see README.md). One record in is one LogEvent; an event hook delivery is
 * also accepted, its `data.events[i]` mapped in turn.
 */
export function createOktaAdapter(options: Partial<OktaOptions> = {}): RecordAdapter {
  const opts = OktaOptions.parse(options);
  const safeMap = guardedMap((raw) => mapOne(raw, opts));
  return {
    format: 'okta',
    map(record: unknown): AdapterResult {
      const events = isObject(record) && record['eventType'] === EVENT_HOOK ? getPath(record, 'data.events') : undefined;
      return Array.isArray(events) ? mapEntries(events, 'data.events', MAX_HOOK_EVENTS, safeMap) : safeMap(record);
    },
    flush: emptyResult,
  };
}

/** True for an Okta LogEvent (`uuid`, `published`, `eventType`, an `actor` object) or an event hook delivery. */
export function detectOkta(record: unknown): boolean {
  if (!isObject(record) || 'kind' in record) return false;
  if (record['eventType'] === EVENT_HOOK) return Array.isArray(getPath(record, 'data.events'));
  return typeof record['uuid'] === 'string' && typeof record['published'] === 'string' && typeof record['eventType'] === 'string' && isObject(record['actor']);
}
