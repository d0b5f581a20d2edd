/** Wording helpers shared by rules, so alert titles and summaries read the same everywhere. */

/** A readable short name for an agent id: the last path segment of a SPIFFE id or URL, else the id. */
export function shortName(agentId: string): string {
  const trimmed = agentId.replace(/\/+$/, '');
  const i = trimmed.lastIndexOf('/');
  return i >= 0 && i < trimmed.length - 1 ? trimmed.slice(i + 1) : trimmed;
}

/** `a, b and 3 more` — bounded so a long allow-list never floods a title. */
export function list(items: readonly string[], max = 6): string {
  if (items.length === 0) return '(none)';
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Rounds for display: integers stay, others get at most one decimal. */
export const num = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(1));

/** Bytes for humans: 5.0 MB. */
export function bytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}
