// Small display helpers shared by the pages.

/** `2026-12-07 14:03:12Z`: UTC, seconds, readable in a table. */
export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** `3 min ago`, `2 h ago`, `in 5 d`: for expiries and last hits. */
export function relative(iso: string | null | undefined, nowMs = Date.now()): string {
  if (!iso) return '—';
  const ms = Date.parse(iso) - nowMs;
  if (Number.isNaN(ms)) return iso;
  const abs = Math.abs(ms);
  const units: Array<[number, string]> = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'min'],
    [1_000, 's'],
  ];
  const [size, unit] = units.find(([size]) => abs >= size) ?? [1_000, 's'];
  const n = Math.round(abs / size);
  return ms < 0 ? `${n} ${unit} ago` : `in ${n} ${unit}`;
}

/** A console path for an agent id (ids are URIs: encoded as one path segment). */
export const agentPath = (id: string): string => `/agents/${encodeURIComponent(id)}`;
export const alertPath = (id: string): string => `/alerts/${encodeURIComponent(id)}`;
export const incidentPath = (id: string): string => `/incidents/${encodeURIComponent(id)}`;

/** Simple glob (`*` any run of characters) as the registry uses for tools, resources and scopes. */
export function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`);
  return re.test(value);
}
const escapeRegExp = (s: string): string => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');

export const STATUS_LABELS: Record<string, string> = {
  new: 'New',
  acknowledged: 'Acknowledged',
  resolved: 'Resolved',
  false_positive: 'False positive',
  suppressed: 'Suppressed',
};
