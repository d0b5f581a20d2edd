/**
 * Registry glob matching (registry.md): `*` matches within one segment, `**` matches anything.
 * Tools and token scopes are split on `.`, resources and agent ids on `/`. The simulator uses it to
 * keep benign traffic inside each agent's declared scope and to pick attack values that fall outside.
 */
export type GlobKind = 'tool' | 'resource' | 'agent' | 'scope';

const SEPARATOR: Record<GlobKind, string> = { tool: '.', resource: '/', agent: '/', scope: '.' };
const escapeRe = (s: string): string => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
const cache = new Map<string, RegExp>();

export function globToRegExp(pattern: string, kind: GlobKind): RegExp {
  const key = `${kind}\u0000${pattern}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const sep = escapeRe(SEPARATOR[kind]);
  let re = '';
  for (const part of pattern.split(/(\*\*|\*)/)) {
    if (part === '**') re += '.*';
    else if (part === '*') re += `[^${sep}]*`;
    else re += escapeRe(part);
  }
  const compiled = new RegExp(`^${re}$`);
  cache.set(key, compiled);
  return compiled;
}

/** True when `value` matches one of `patterns`. An absent list (undefined) restricts nothing. */
export function matchesAny(value: string, patterns: readonly string[] | undefined, kind: GlobKind): boolean {
  if (patterns === undefined) return true;
  for (const p of patterns) if (p === value || globToRegExp(p, kind).test(value)) return true;
  return false;
}
