import { z } from 'zod';

/** RFC 3339 timestamp with an explicit zone (`Z` or `±hh:mm`); fractional seconds kept as given. */
export const Rfc3339 = z.iso.datetime({ offset: true, message: 'expected an RFC 3339 timestamp with zone, e.g. 2026-11-02T09:00:00.000Z' });

/** A duration such as `30s`, `15m`, `1h`, `1d` (registry `max_token_ttl`, config windows). */
export const Duration = z.string().regex(/^\d+(ms|s|m|h|d|w)$/, { message: 'expected a duration like 30s, 15m, 1h or 1d' });

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Parses a {@link Duration} string to milliseconds. Throws on a string the schema would reject. */
export function durationToMs(text: string): number {
  const m = /^(\d+)(ms|s|m|h|d|w)$/.exec(text);
  if (!m) throw new Error(`not a duration: ${JSON.stringify(text)} (expected e.g. 30s, 15m, 1h, 1d)`);
  return Number(m[1]) * (UNIT_MS[m[2] as string] ?? 0);
}

/**
 * Formats milliseconds for people: the largest unit when it divides evenly (`2h`, `30s`), otherwise the
 * two largest units (`1h54m`, `3d4h`, `1m30s`), for alert summaries.
 */
export function formatDuration(ms: number): string {
  const units: Array<[string, number]> = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ];
  const i = units.findIndex(([, size]) => ms >= size);
  if (i < 0) return `${Math.round(ms)}ms`;
  const [u1, s1] = units[i] as [string, number];
  const first = Math.floor(ms / s1);
  const next = units[i + 1];
  if (ms % s1 === 0 || !next) return `${first}${u1}`;
  const second = Math.floor((ms - first * s1) / next[1]);
  return second > 0 ? `${first}${u1}${second}${next[0]}` : `${first}${u1}`;
}
