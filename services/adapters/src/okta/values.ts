export * from '../record-values.ts';

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/i;

/** An ISO-8601 time with zone (Okta's `published`, `detailEntry.expires`) as RFC 3339 UTC; anything else undefined. */
export function parseIsoTime(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 40 || !ISO_WITH_ZONE.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}
