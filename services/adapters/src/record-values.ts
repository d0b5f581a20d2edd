import { z } from 'zod';
import { isObject } from './common.ts';

/** Longest value kept in one attribute: enough for an ARN or a user agent, not for a dumped policy. */
const MAX_ATTRIBUTE_CHARS = 1024;

/** Cuts a long string with a marker saying how long it was. */
export function clip(s: string, max = MAX_ATTRIBUTE_CHARS): string {
  return s.length <= max ? s : `${s.slice(0, max)}…[${s.length} chars]`;
}

/** Puts a scalar source value into `attributes` (clipped); objects, arrays, null and empty strings are left out. */
export function putAttribute(out: Record<string, string>, key: string, value: unknown): void {
  if (typeof value === 'string') {
    if (value.length > 0) out[key] = clip(value);
  } else if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean') {
    out[key] = String(value);
  }
}

/** A non-empty string, or undefined. */
export function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** The object at `value`, or undefined (for optional sub-objects such as `sessionContext`). */
export function obj(value: unknown): Record<string, unknown> | undefined {
  return isObject(value) ? value : undefined;
}

/** A short description of a bad value for reject reasons: `42`, `"abc"`, `an object`, `null`. */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(clip(value, 60));
  return String(value);
}

const IpAddress = z.union([z.ipv4(), z.ipv6()]);

/** The same IP check the canonical schema applies, so an address we pass on is never the reason for a reject. */
export function isIpAddress(value: string): boolean {
  return value.length <= 64 && IpAddress.safeParse(value).success;
}
