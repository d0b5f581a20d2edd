/**
 * CloudTrail times. `eventTime` is ISO-8601 UTC; `responseElements.credentials.expiration` is usually a
 * human string written by a Java formatter in UTC (`Nov 30, 2024, 8:43:17 PM`, sometimes with a narrow
 * no-break space before `PM`), and in some records ISO-8601. Both come back as RFC 3339 UTC (ms).
 */

const ISO = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|z|[+-]\d{2}:?\d{2})?$/;

const HUMAN = /^([A-Za-z]{3,9})\.? (\d{1,2}),? (\d{4}),? (?:at )?(\d{1,2}):(\d{2})(?::(\d{2}))?(?: ?([AaPp])\.?[Mm]\.?)?(?: (?:UTC|GMT|Z))?$/;

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** Builds a UTC time from calendar parts, refusing parts that roll over (Feb 30, 25:00). */
function utc(year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number): number | undefined {
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return undefined;
  const t = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const d = new Date(t);
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return undefined;
  return t;
}

/** ISO-8601 date-time; a time without a zone is taken as UTC (CloudTrail writes only UTC). */
export function parseIsoUtc(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 40) return undefined;
  const m = ISO.exec(value.trim());
  if (!m) return undefined;
  const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  const t = utc(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0), ms);
  if (t === undefined) return undefined;
  const zone = m[8];
  let offsetMin = 0;
  if (zone && zone !== 'Z' && zone !== 'z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offsetMin = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
  }
  return new Date(t - offsetMin * 60_000).toISOString();
}

/** `Nov 30, 2024, 8:43:17 PM` (also full month names, no commas, 24-hour clock, a trailing `UTC`), read as UTC. */
export function parseHumanUtc(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 60) return undefined;
  const m = HUMAN.exec(value.replace(/[\s\u00a0\u202f]+/g, ' ').trim());
  if (!m) return undefined;
  const monthName = (m[1] as string).toLowerCase();
  const month = MONTHS.indexOf(monthName.slice(0, 3)) + 1;
  if (month === 0) return undefined;
  let hour = Number(m[4]);
  const meridiem = m[7]?.toLowerCase();
  if (meridiem !== undefined) {
    if (hour < 1 || hour > 12) return undefined;
    hour = (hour % 12) + (meridiem === 'p' ? 12 : 0);
  }
  const t = utc(Number(m[3]), month, Number(m[2]), hour, Number(m[5]), Number(m[6] ?? 0), 0);
  return t === undefined ? undefined : new Date(t).toISOString();
}

/** Either form: what `credentials.expiration` may hold. */
export function parseCloudTrailTime(value: unknown): string | undefined {
  return parseIsoUtc(value) ?? parseHumanUtc(value);
}
