import { z } from 'zod';
import { getPath, isObject } from './common.ts';

/**
 * Small value readers shared by the MCP and OPA mappings. Source values are untrusted: every reader returns
 * undefined (or a reason) instead of throwing, and everything kept is bounded.
 */

const ZONED_ISO = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})$/;

/**
 * An ISO-8601 time with an explicit zone, as RFC 3339 (ms, UTC). Strings only: a bare number could be
 * seconds or milliseconds, and a zone-less time would be read in the machine's local zone.
 */
export function parseZonedTime(value: unknown): { ok: true; time: string } | { ok: false; problem: string } {
  if (typeof value !== 'string') return { ok: false, problem: `expected an ISO-8601 time with a zone, got ${describe(value)}` };
  if (!ZONED_ISO.test(value)) return { ok: false, problem: `expected an ISO-8601 time with a zone, got ${describe(value)}` };
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) return { ok: false, problem: `not a valid time: ${describe(value)}` };
  return { ok: true, time: new Date(ms).toISOString() };
}

const IP = z.union([z.ipv4(), z.ipv6()]);

/**
 * An IP address the canonical schema accepts, from `10.0.0.1`, `10.0.0.1:5432`, `::1` or `[::1]:59943`;
 * undefined for anything else (the raw value then goes to attributes).
 */
export function parseSourceIp(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > 64) return undefined;
  const candidates = [value];
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(value);
  if (bracketed) candidates.push(bracketed[1] as string);
  const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(value);
  if (v4WithPort) candidates.push(v4WithPort[1] as string);
  return candidates.find((c) => IP.safeParse(c).success);
}

/** Cuts a string for an attribute value, saying how long it was. */
export function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max)}…[${s.length} chars]`;
}

/** A short description of a wrong value for a reject reason (never the whole value). */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(clip(value, 60));
  return `${typeof value} ${clip(String(value), 60)}`;
}

/**
 * A bounded JSON-like preview of any value: depth, keys per object, items per array and total length
 * are capped, so a hostile or huge value costs at most `budget` characters of work and storage.
 */
export function preview(value: unknown, budget = 256): string {
  if (typeof value === 'string') return clip(value, budget);
  const out: string[] = [];
  let used = 0;
  const push = (s: string): boolean => {
    if (used >= budget) return false;
    out.push(s);
    used += s.length;
    return used < budget;
  };
  const walk = (v: unknown, depth: number): boolean => {
    if (v === null || typeof v === 'boolean' || typeof v === 'number') return push(String(v));
    if (typeof v === 'string') return push(JSON.stringify(clip(v, budget)));
    if (depth >= 4) return push(Array.isArray(v) ? '[…]' : '{…}');
    if (Array.isArray(v)) {
      if (!push('[')) return false;
      for (let i = 0; i < v.length; i++) {
        if (i >= 16) return push(`,…${v.length - 16} more]`);
        if ((i > 0 && !push(',')) || !walk(v[i], depth + 1)) return false;
      }
      return push(']');
    }
    if (isObject(v)) {
      if (!push('{')) return false;
      let n = 0;
      for (const k in v) {
        if (!Object.hasOwn(v, k)) continue;
        if (n >= 16) return push(',…}');
        if ((n > 0 && !push(',')) || !push(`${JSON.stringify(clip(k, 64))}:`) || !walk(v[k], depth + 1)) return false;
        n++;
      }
      return push('}');
    }
    return push(typeof v);
  };
  walk(value, 0);
  const text = out.join('');
  return used >= budget ? `${text.slice(0, budget)}…` : text;
}

/**
 * The own keys of an object, at most `max` of them, without materialising the full key list of a
 * huge object; `more` says whether keys were left out.
 */
export function someKeys(o: Record<string, unknown>, max: number): { keys: string[]; more: boolean } {
  const keys: string[] = [];
  for (const k in o) {
    if (!Object.hasOwn(o, k)) continue;
    if (keys.length >= max) return { keys, more: true };
    keys.push(k);
  }
  return { keys, more: false };
}

/** The first path (of a precedence list) holding a non-empty string or finite number, and that value. */
export function firstStringAt(record: unknown, paths: readonly string[]): { path: string; value: string } | undefined {
  for (const path of paths) {
    const v = getPath(record, path);
    if (typeof v === 'string' && v.length > 0) return { path, value: v };
    if (typeof v === 'number' && Number.isFinite(v)) return { path, value: String(v) };
  }
  return undefined;
}
