import { createHash } from 'node:crypto';
import { type CanonicalEvent, EVENT_LIMITS, parseEvent, problemsToString } from '@agentwatch/schemas';
import type { AdapterReject, AdapterResult } from './types.ts';

/** An empty result to fill in. */
export function emptyResult(): AdapterResult {
  return { events: [], rejects: [], skipped: 0 };
}

/** Adds `b` into `a` (for adapters whose records contain sub-records). */
export function mergeInto(a: AdapterResult, b: AdapterResult): AdapterResult {
  for (const e of b.events) a.events.push(e);
  for (const r of b.rejects) a.rejects.push(r);
  if (b.skipped > 0) {
    a.skipped += b.skipped;
    a.skipReason ??= b.skipReason;
  }
  return a;
}

/**
 * `mapOne` made safe for one record: an exception becomes a reject naming it, and rejects get `path` (the record's
 * place in a wrapper) unless they have one.
 */
export function guardedMap(mapOne: (raw: unknown) => AdapterResult): (raw: unknown, path?: string) => AdapterResult {
  return (raw, path) => {
    try {
      const r = mapOne(raw);
      if (path !== undefined) for (const reject of r.rejects) reject.path ??= path;
      return r;
    } catch (e) {
      return rejected(`record could not be mapped: ${e instanceof Error ? e.message : String(e)}`, path);
    }
  };
}

/** Maps the entries of a wrapper (`field`: e.g. CloudTrail `Records`), at most `max`, each with its path; the rest rejected. */
export function mapEntries(entries: readonly unknown[], field: string, max: number, map: (raw: unknown, path: string) => AdapterResult): AdapterResult {
  const result = emptyResult();
  entries.slice(0, max).forEach((entry, i) => {
    mergeInto(result, map(entry, `${field}[${i}]`));
  });
  if (entries.length > max) result.rejects.push({ reason: `${field}: more than ${max} entries; the rest were not mapped` });
  return result;
}

export function rejected(reason: string, path?: string): AdapterResult {
  const reject: AdapterReject = path === undefined ? { reason } : { reason, path };
  return { events: [], rejects: [reject], skipped: 0 };
}

export function skipped(reason: string): AdapterResult {
  return { events: [], rejects: [], skipped: 1, skipReason: reason };
}

const MAX_EVENT_ID = 128;

/**
 * A stable event_id from the source's own id, so the same record ingested twice is one event.
 * Short ids are kept readable (`vault:<request id>:issued`); anything longer than events.md allows is
 * hashed (`<source>:sha256:<hex>`), which is still stable.
 */
export function stableEventId(source: string, ...parts: (string | number)[]): string {
  const id = `${source}:${parts.join(':')}`;
  if (id.length <= MAX_EVENT_ID) return id;
  return `${source}:sha256:${createHash('sha256').update(id).digest('hex')}`;
}

/**
 * Validates a candidate event with the canonical schema. Adapters build plain objects and end here, so a
 * mapping bug or a hostile source value is a reject with the schema's reason, never an invalid event.
 */
export function finishEvent(candidate: Record<string, unknown>, path?: string): AdapterResult {
  fitAttributes(candidate);
  // parseEvent's non-allocating pre-check (the one canonical input takes) accepts optional fields given as
  // undefined, so a valid candidate needs no stripped copy. Stripping never turns a rejected event into an
  // accepted one or the reverse except for undefined-valued keys zod calls unknown, so a failure is re-checked
  // stripped: the reject reason is exactly what it was.
  const fast = parseEvent(candidate);
  const r = fast.ok ? fast : parseEvent(stripUndefined(candidate));
  if (r.ok) return { events: [r.value as CanonicalEvent], rejects: [], skipped: 0 };
  return rejected(`mapped event is not canonical: ${problemsToString(r.problems)}`, path);
}

/** Marker attribute: how many attributes were left out (the OTLP adapter's `maxAttributes` counts in it too). */
export const ATTRIBUTES_OMITTED_KEY = 'agentwatch.attributes_dropped';

/**
 * Attributes are what an adapter keeps of what did not map, so it fits them to the canonical limits (EVENT_LIMITS)
 * instead of losing the whole record: values cut with a marker, entries past the limit left out and counted in
 * {@link ATTRIBUTES_OMITTED_KEY}. Mapped fields (tool, resource, ids ...) are not cut: over their limit, or text that
 * is not valid Unicode anywhere, the record is rejected with the schema's reason. Changes `candidate` in place.
 */
export function fitAttributes(candidate: Record<string, unknown>): void {
  const attrs = candidate['attributes'];
  if (!isObject(attrs)) return;
  const maxValue = EVENT_LIMITS.attributeValue;
  let n = 0;
  let over = false;
  for (const k in attrs) {
    const v = attrs[k];
    if (++n > EVENT_LIMITS.attributes || (typeof v === 'string' && v.length > maxValue)) over = true;
  }
  if (!over) return;
  const earlier = Number(attrs[ATTRIBUTES_OMITTED_KEY] ?? 0) || 0;
  const keys = Object.keys(attrs).filter((k) => k !== ATTRIBUTES_OMITTED_KEY);
  const keep = keys.length + (earlier > 0 ? 1 : 0) > EVENT_LIMITS.attributes ? keys.slice(0, EVENT_LIMITS.attributes - 1) : keys;
  const out: Record<string, unknown> = {};
  for (const k of keep) {
    const v = attrs[k];
    out[k] = typeof v === 'string' && v.length > maxValue ? cut(v, maxValue) : v;
  }
  const omitted = earlier + keys.length - keep.length;
  if (omitted > 0) out[ATTRIBUTES_OMITTED_KEY] = String(omitted);
  candidate['attributes'] = out;
}

/** `s` cut to at most `max` characters, ending with a marker that says how long it was (a pair is never split). */
function cut(s: string, max: number): string {
  const marker = `…[${s.length} chars]`;
  let end = Math.max(0, max - marker.length);
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return `${s.slice(0, end)}${marker}`;
}

/** Drops keys whose value is undefined (optional fields the source did not have). */
export function stripUndefined(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k in o) {
    if (!Object.hasOwn(o, k)) continue;
    const v = o[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

const MAX_ATTRIBUTE_CHARS = 4096;

/**
 * Flattens whatever did not map into `attributes` (string -> string, events.md): nested objects become
 * dotted keys, arrays and other values JSON text. Long values are cut with a marker so one huge field
 * cannot bloat every stored event.
 */
export function flattenAttributes(value: Record<string, unknown>, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  for (const [k, v] of Object.entries(value)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v === undefined || v === null) continue;
    if (typeof v === 'object' && !Array.isArray(v)) flattenAttributes(v as Record<string, unknown>, key, out);
    else out[key] = clip(typeof v === 'string' ? v : JSON.stringify(v));
  }
  return out;
}

function clip(s: string): string {
  return s.length <= MAX_ATTRIBUTE_CHARS ? s : `${s.slice(0, MAX_ATTRIBUTE_CHARS)}…[${s.length} chars]`;
}

/** A plain object (not null, not an array), for narrowing `unknown` records. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The value at a dotted path (`auth.metadata.role_name`); keys containing dots can be quoted with [""]. */
export function getPath(record: unknown, path: string): unknown {
  let cur: unknown = record;
  for (const key of splitPathCached(path)) {
    if (!isObject(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

/** Paths come from options and constants: split each once (bounded, so caller-made paths cannot grow it). */
const SPLIT_PATHS = new Map<string, readonly string[]>();
const MAX_SPLIT_PATHS = 4096;

function splitPathCached(path: string): readonly string[] {
  let keys = SPLIT_PATHS.get(path);
  if (keys === undefined) {
    keys = splitPath(path);
    if (SPLIT_PATHS.size < MAX_SPLIT_PATHS) SPLIT_PATHS.set(path, keys);
  }
  return keys;
}

/** `a.b["c.d"].e` -> ['a', 'b', 'c.d', 'e']. */
export function splitPath(path: string): string[] {
  const out: string[] = [];
  const re = /\["((?:[^"\\]|\\.)*)"\]|([^.[\]]+)/g;
  for (let m = re.exec(path); m !== null; m = re.exec(path)) out.push(m[1] !== undefined ? m[1] : (m[2] as string));
  return out;
}

/** The first non-empty string among the given paths (configurable identity precedence). */
export function firstString(record: unknown, paths: readonly string[]): string | undefined {
  for (const p of paths) {
    const v = getPath(record, p);
    if (typeof v === 'string' && v.length > 0) return v;
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  }
  return undefined;
}

/** Parses a source timestamp into RFC 3339 (ms, UTC), or undefined when it is not a time. */
export function toRfc3339(value: unknown): string | undefined {
  let ms: number;
  if (typeof value === 'string') ms = Date.parse(value);
  else if (typeof value === 'number') ms = value;
  else return undefined;
  if (!Number.isFinite(ms)) return undefined;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/**
 * The part of a record a reject's `path` points at (`resourceSpans[0].scopeSpans[1].spans[3]`, `spans[2]`,
 * `Records[4]`), so a dead-letter entry can keep that part rather than a whole export. A key missing in
 * lowerCamelCase is also tried in snake_case (`resource_spans`). Undefined when the path does not resolve.
 */
export function valueAtPath(record: unknown, path: string): unknown {
  let cur: unknown = record;
  const re = /\["((?:[^"\\]|\\.)*)"\]|\[(\d+)\]|([^.[\]]+)/g;
  for (let m = re.exec(path); m !== null; m = re.exec(path)) {
    if (m[2] !== undefined) {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[Number(m[2])];
      continue;
    }
    if (!isObject(cur)) return undefined;
    const key = (m[1] ?? m[3]) as string;
    cur = key in cur ? cur[key] : cur[key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)];
  }
  return cur;
}
