import type { Alert } from '@agentwatch/schemas';
import type { Finding, FindingText } from './types.ts';

/**
 * Alert size bounds. An alert's words and evidence come from rules, which quote event fields, and event fields come
 * from the agents being watched: a 10 MB field once became a 21 MB alert, stored, published and listed. Every string
 * is cut to its cap with a marker saying how long it was, every evidence list is capped with a count of what was left
 * out, and the whole alert stays under {@link ALERT_BOUNDS.alertBytes} of JSON. Pure: no clock, no I/O.
 */
export const ALERT_BOUNDS = {
  title: 512,
  summary: 4096,
  /** Each string inside evidence (at any depth). */
  evidenceText: 2048,
  /** Each list inside evidence; the rest is counted in `<key>_omitted` (or a trailing marker inside nested lists). */
  evidenceList: 25,
  /** Keys of each object inside evidence; the rest is counted in `_omitted_keys`. */
  evidenceKeys: 32,
  /** Nesting kept inside evidence; deeper values become a marker string. */
  evidenceDepth: 4,
  /** The whole alert as JSON text (UTF-8 bytes). */
  alertBytes: 64 * 1024,
} as const;

/** `s` cut to at most `max` characters, the end replaced by `…[<n> chars]` (its full length); pairs never split. */
export function cutText(s: string, max: number): string {
  if (s.length <= max) return s;
  const marker = `…[${s.length} chars]`;
  let end = Math.max(0, max - marker.length);
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return `${s.slice(0, end)}${marker}`;
}

interface EvidenceCaps {
  text: number;
  list: number;
  keys: number;
  depth: number;
}

const CAPS: EvidenceCaps = {
  text: ALERT_BOUNDS.evidenceText,
  list: ALERT_BOUNDS.evidenceList,
  keys: ALERT_BOUNDS.evidenceKeys,
  depth: ALERT_BOUNDS.evidenceDepth,
};

/** A value inside evidence, bounded (strings cut, lists and objects capped, depth limited). */
function boundValue(v: unknown, caps: EvidenceCaps, depth: number): unknown {
  if (typeof v === 'string') return cutText(v, caps.text);
  if (v === null || typeof v !== 'object') return v;
  if (depth >= caps.depth) return '…[nested value left out]';
  if (Array.isArray(v)) {
    const kept = v.slice(0, caps.list).map((x) => boundValue(x, caps, depth + 1));
    if (v.length > caps.list) kept.push(`…[${v.length - caps.list} more]`);
    return kept;
  }
  return boundObject(v as Record<string, unknown>, caps, depth + 1);
}

/** An object inside evidence: each value bounded; a top-level list over the cap gets a `<key>_omitted` count beside it. */
function boundObject(o: Record<string, unknown>, caps: EvidenceCaps, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const keys = Object.keys(o);
  for (const k of keys.slice(0, caps.keys)) {
    const v = o[k];
    if (Array.isArray(v) && v.length > caps.list && depth <= 1) {
      out[k] = v.slice(0, caps.list).map((x) => boundValue(x, caps, depth + 1));
      out[`${cutText(k, 200)}_omitted`] = v.length - caps.list + (typeof o[`${k}_omitted`] === 'number' ? (o[`${k}_omitted`] as number) : 0);
    } else if (!(k.endsWith('_omitted') && typeof v === 'number' && k.slice(0, -'_omitted'.length) in out)) {
      out[cutText(k, 200)] = boundValue(v, caps, depth);
    }
  }
  if (keys.length > caps.keys) out['_omitted_keys'] = keys.length - caps.keys;
  return out;
}

/** A finding's words, bounded: what the engine puts into an alert (title, summary, evidence). */
export function boundedFindingText(f: Finding): FindingText {
  const text: FindingText = 'describe' in f ? f.describe() : f;
  return {
    title: cutText(text.title, ALERT_BOUNDS.title),
    summary: cutText(text.summary, ALERT_BOUNDS.summary),
    ...(text.evidence ? { evidence: boundObject(text.evidence, CAPS, 1) } : {}),
  };
}

/**
 * Adds an event id to an alert's evidence unless it is there already; past `max` ids it is counted in
 * `event_ids_omitted` instead (so a list capped at `max` still says how many more events there were).
 */
export function addEvidenceEvent(evidence: Alert['evidence'], eventId: string, max: number): void {
  const ids = evidence.event_ids;
  if (ids.includes(eventId)) return;
  if (ids.length < max) ids.push(eventId);
  else evidence['event_ids_omitted'] = (typeof evidence['event_ids_omitted'] === 'number' ? evidence['event_ids_omitted'] : 0) + 1;
}

/** Evidence event ids capped at `max`, with how many were left out (`event_ids_omitted`) when any were. */
export function evidenceEventIds(ids: readonly string[], max: number): Pick<Alert['evidence'], 'event_ids'> & { event_ids_omitted?: number } {
  const unique = [...new Set(ids)];
  return unique.length <= max ? { event_ids: unique } : { event_ids: unique.slice(0, max), event_ids_omitted: unique.length - max };
}

const utf8Bytes = (a: Alert): number => Buffer.byteLength(JSON.stringify(a));

/**
 * The alert within {@link ALERT_BOUNDS.alertBytes}: unchanged when it fits; else its evidence is bounded ever more
 * tightly (shorter strings, shorter lists), and at the last its evidence keeps only the event ids and says
 * `evidence_truncated: true`. Title and summary are cut to their caps. Changes `a` in place and returns it.
 */
export function boundAlert(a: Alert): Alert {
  if (a.title.length > ALERT_BOUNDS.title) a.title = cutText(a.title, ALERT_BOUNDS.title);
  if (a.summary.length > ALERT_BOUNDS.summary) a.summary = cutText(a.summary, ALERT_BOUNDS.summary);
  if (utf8Bytes(a) <= ALERT_BOUNDS.alertBytes) return a;
  const original = a.evidence;
  for (const caps of [CAPS, { ...CAPS, text: 256, list: 10, keys: 16 }, { ...CAPS, text: 64, list: 3, keys: 8, depth: 2 }]) {
    const { event_ids, ...rest } = original;
    a.evidence = { ...boundObject(rest, caps, 1), event_ids: event_ids.slice(0, ALERT_BOUNDS.evidenceList).map((id) => cutText(id, 256)) };
    if (utf8Bytes(a) <= ALERT_BOUNDS.alertBytes) return a;
  }
  a.evidence = { event_ids: original.event_ids.slice(0, ALERT_BOUNDS.evidenceList).map((id) => cutText(id, 256)), evidence_truncated: true };
  if (typeof original['event_ids_omitted'] === 'number') a.evidence['event_ids_omitted'] = original['event_ids_omitted'];
  return a;
}
