import { getPath } from './common.ts';
import { parseSourceIp, parseZonedTime } from './json-values.ts';

/**
 * Checks for the optional canonical fields an adapter reads from configurable places (OTLP `fields`, Okta and
 * OPA `*Paths`): each returns the value as the canonical schema wants it, or undefined when the source value
 * has the wrong type or form. Adapters do not reject an event for such a value: they leave the field unset,
 * keep the raw value in `attributes` and name the field in `agentwatch.fields_ignored`.
 */

/** Longest id-like value kept in a canonical field. */
export const MAX_ID_CHARS = 1024;
/** Most delegation hops kept; a longer chain is not mapped. */
export const MAX_CHAIN = 64;

/** A non-empty string (at most 1024 chars) or a finite number, as a string. */
export function idValue(v: unknown): string | undefined {
  if (typeof v === 'string') return v.length > 0 && v.length <= MAX_ID_CHARS ? v : undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

/** A non-negative safe integer, from a number or a decimal string (OTLP int64 may arrive as a string). */
export function countValue(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? v : undefined;
  if (typeof v === 'string' && /^\d{1,15}$/.test(v)) return Number(v);
  return undefined;
}

/** `trusted` or `untrusted`, exactly. */
export function contextTrustValue(v: unknown): 'trusted' | 'untrusted' | undefined {
  return v === 'trusted' || v === 'untrusted' ? v : undefined;
}

/** An IPv4 or IPv6 address the canonical schema accepts (`[::1]:443` and `10.0.0.1:443` lose the port). */
export function sourceIpValue(v: unknown): string | undefined {
  return parseSourceIp(v);
}

/** An ISO-8601 time with a zone, as RFC 3339 UTC. */
export function timeValue(v: unknown): string | undefined {
  const t = parseZonedTime(v);
  return t.ok ? t.time : undefined;
}

/**
 * A delegation chain: an array of non-empty strings (or one string, the hops separated by commas or
 * whitespace, for sources whose values are strings only), outermost delegator first. It must end with the
 * acting agent's id (events.md); any other chain is not mapped.
 */
export function delegationChainValue(v: unknown, agentId: string): string[] | undefined {
  let items: unknown[];
  if (Array.isArray(v)) items = v;
  else if (typeof v === 'string') items = v.split(/[\s,]+/).filter((s) => s.length > 0);
  else return undefined;
  if (items.length === 0 || items.length > MAX_CHAIN) return undefined;
  for (const x of items) if (typeof x !== 'string' || x.length === 0 || x.length > MAX_ID_CHARS) return undefined;
  return items[items.length - 1] === agentId ? (items as string[]) : undefined;
}

/** What `fieldAt` found: a usable value, a value of the wrong type or form (`wrong`, the first such), or nothing. */
export type FieldAt<T> = { value: T; path: string } | { wrong: unknown; path: string } | undefined;

/** The first of `paths` (dotted, as `getPath` reads them) whose value passes `check`; else the first wrong value seen. */
export function fieldAt<T>(record: unknown, paths: readonly string[], check: (v: unknown, agentId: string) => T | undefined, agentId = ''): FieldAt<T> {
  let wrong: { wrong: unknown; path: string } | undefined;
  for (const path of paths) {
    const raw = getPath(record, path);
    if (raw === undefined || raw === null) continue;
    const value = check(raw, agentId);
    if (value !== undefined) return { value, path };
    wrong ??= { wrong: raw, path };
  }
  return wrong;
}

/**
 * Applies a `fieldAt` result: the value, or undefined after keeping the wrong value in `attributes` under
 * `attributeKey` (clipped JSON text for non-strings) and naming `field` in `ignored`.
 */
export function takeField<T>(found: FieldAt<T>, field: string, attributeKey: string, attributes: Record<string, string>, ignored: string[]): T | undefined {
  if (found === undefined) return undefined;
  if ('value' in found) return found.value;
  const raw = found.wrong;
  const text = typeof raw === 'string' ? raw : JSON.stringify(raw);
  attributes[attributeKey] = text.length <= 1024 ? text : `${text.slice(0, 1024)}…[${text.length} chars]`;
  ignored.push(field);
  return undefined;
}

/** The attribute naming the fields whose source value had the wrong type (comma-separated). */
export const FIELDS_IGNORED = 'agentwatch.fields_ignored';
