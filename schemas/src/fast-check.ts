import { z } from 'zod';
import { ACTIONS, type CanonicalEvent, EVENT_LIMITS as L } from './event.ts';

/**
 * A hand-written pre-check for the hot path: answers "certainly valid" for a canonical event without
 * allocating, so the zod schema (which copies the object) runs only for inputs this check cannot vouch
 * for, and then decides and explains. It must never accept anything the zod schema rejects; a
 * differential fuzz test (schemas/test/fast-check.test.ts) holds it to that. It may be stricter.
 */

/** zod's own RFC 3339 and IPv4 patterns, so both paths agree on what a timestamp and an address are. */
const DATETIME: RegExp = (z.iso.datetime({ offset: true }) as unknown as { _zod: { pattern: RegExp } })._zod.pattern;
const IPV4: RegExp = (z.ipv4() as unknown as { _zod: { pattern: RegExp } })._zod.pattern;

const ACTION_SET = new Set<string>(ACTIONS);
const ENVELOPE = [
  'kind',
  'event_id',
  'time',
  'agent_id',
  'source',
  'environment',
  'session_id',
  'task_id',
  'on_behalf_of',
  'delegation_chain',
  'source_ip',
  'attributes',
];
const KEYS: Record<string, Set<string>> = {
  tool_call: new Set([
    ...ENVELOPE,
    'tool',
    'action',
    'resource',
    'outcome',
    'token_id',
    'bytes_in',
    'bytes_out',
    'records',
    'duration_ms',
    'approval',
    'context_trust',
  ]),
  token_issued: new Set([...ENVELOPE, 'token_id', 'issuer', 'scopes', 'audience', 'expires_at', 'grant_type', 'parent_token_id']),
  token_revoked: new Set([...ENVELOPE, 'token_id', 'reason']),
  policy_decision: new Set([...ENVELOPE, 'decision', 'policy', 'tool', 'resource', 'action', 'token_id']),
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A string of `min`..`max` code units and valid Unicode (text.ts: the zod schema's `text()`). */
const str = (v: unknown, min: number, max: number): boolean => typeof v === 'string' && v.length >= min && v.length <= max && v.isWellFormed();
const optStr = (v: unknown, max: number, min = 0): boolean => v === undefined || str(v, min, max);
const time = (v: unknown): boolean => typeof v === 'string' && DATETIME.test(v);
const strArray = (v: unknown, maxItems: number, max: number, min = 0): boolean => {
  if (!Array.isArray(v) || v.length > maxItems) return false;
  for (const x of v) if (!str(x, min, max)) return false;
  return true;
};
const count = (v: unknown): boolean => v === undefined || (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0);

function envelopeOk(e: Obj): boolean {
  if (!str(e['event_id'], 1, L.eventId) || !time(e['time']) || !str(e['agent_id'], 1, L.agentId)) return false;
  if (!optStr(e['source'], L.id) || !optStr(e['environment'], L.id) || !optStr(e['session_id'], L.id) || !optStr(e['task_id'], L.id)) return false;
  if (!optStr(e['on_behalf_of'], L.principal)) return false;
  const chain = e['delegation_chain'];
  if (chain !== undefined && !strArray(chain, L.delegationHops, L.principal, 1)) return false;
  const ip = e['source_ip'];
  if (ip !== undefined && !(typeof ip === 'string' && IPV4.test(ip))) return false; // IPv6 is left to zod
  const attrs = e['attributes'];
  if (attrs !== undefined) {
    if (!isObj(attrs) || Object.getPrototypeOf(attrs) !== Object.prototype) return false;
    let n = 0;
    for (const k in attrs) {
      if (++n > L.attributes || !str(k, 0, L.attributeKey) || !str(attrs[k], 0, L.attributeValue)) return false;
    }
  }
  return true;
}

function kindOk(e: Obj, kind: string): boolean {
  switch (kind) {
    case 'tool_call': {
      const o = e['outcome'];
      if (!str(e['tool'], 1, L.tool) || (o !== 'success' && o !== 'failure' && o !== 'denied')) return false;
      if (e['action'] !== undefined && !ACTION_SET.has(e['action'] as string)) return false;
      if (!optStr(e['resource'], L.resource) || !optStr(e['token_id'], L.id, 1)) return false;
      if (!count(e['bytes_in']) || !count(e['bytes_out']) || !count(e['records'])) return false;
      const d = e['duration_ms'];
      if (d !== undefined && !(typeof d === 'number' && Number.isFinite(d) && d >= 0)) return false;
      const ct = e['context_trust'];
      if (ct !== undefined && ct !== 'trusted' && ct !== 'untrusted') return false;
      const ap = e['approval'];
      if (ap !== undefined) {
        if (!isObj(ap) || !str(ap['by'], 1, L.principal) || (ap['at'] !== undefined && !time(ap['at']))) return false;
        for (const k in ap) if (k !== 'by' && k !== 'at') return false;
      }
      return true;
    }
    case 'token_issued':
      return (
        str(e['token_id'], 1, L.id) &&
        str(e['issuer'], 1, L.text) &&
        strArray(e['scopes'], L.scopes, L.scope) &&
        (e['audience'] === undefined || strArray(e['audience'], L.scopes, L.scope)) &&
        time(e['expires_at']) &&
        optStr(e['grant_type'], L.id) &&
        optStr(e['parent_token_id'], L.id, 1)
      );
    case 'token_revoked':
      return str(e['token_id'], 1, L.id) && optStr(e['reason'], L.text);
    case 'policy_decision': {
      const d = e['decision'];
      if (d !== 'allow' && d !== 'deny') return false;
      if (e['action'] !== undefined && !ACTION_SET.has(e['action'] as string)) return false;
      return optStr(e['policy'], L.text) && optStr(e['tool'], L.tool, 1) && optStr(e['resource'], L.resource) && optStr(e['token_id'], L.id, 1);
    }
    default:
      return false;
  }
}

/** True only when `value` is certainly a valid canonical event per the zod schema (cross-field rules aside). */
export function isCertainlyCanonicalEvent(value: unknown): value is CanonicalEvent {
  if (!isObj(value)) return false;
  const kind = value['kind'];
  const allowed = typeof kind === 'string' ? KEYS[kind] : undefined;
  if (!allowed) return false;
  for (const k in value) if (!allowed.has(k)) return false;
  if (Object.getPrototypeOf(value) !== Object.prototype) return false;
  return envelopeOk(value) && kindOk(value, kind as string);
}
