/**
 * Registry glob patterns (registry.md): `*` matches within one segment, `**` matches anything, including
 * separators. Tools are split on `.`; resources on `/` (which also covers `://`); agent ids on `/`.
 */
export type GlobKind = 'tool' | 'resource' | 'agent' | 'scope';

const SEPARATOR: Record<GlobKind, string> = { tool: '.', resource: '/', agent: '/', scope: '.' };

/** Thrown when a pattern cannot be compiled; the registry loader turns it into a validation problem. */
export class GlobSyntaxError extends Error {}

const escapeRe = (s: string): string => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');

/** Compiles one pattern to an anchored regular expression. `***` and longer runs are rejected. */
export function globToRegExp(pattern: string, kind: GlobKind): RegExp {
  if (/\*{3,}/.test(pattern)) throw new GlobSyntaxError(`"${pattern}": "***" is not a valid glob (use * or **)`);
  const sep = escapeRe(SEPARATOR[kind]);
  let re = '';
  for (const part of pattern.split(/(\*\*|\*)/)) {
    if (part === '**') re += '.*';
    else if (part === '*') re += `[^${sep}]*`;
    else re += escapeRe(part);
  }
  return new RegExp(`^${re}$`);
}

const hasWildcard = (p: string): boolean => p.includes('*');

/**
 * A compiled allow-list. Literal patterns go into a hash set (O(1)); wildcard patterns are merged into
 * one alternation regex, so a check costs one set look-up plus one regex run, whatever the list size.
 * Answers for values already asked are cached (tools and resource families repeat heavily), bounded.
 */
export class PatternSet {
  readonly patterns: readonly string[];
  private readonly literals: Set<string>;
  /** `prefix/**`-style patterns (one trailing `**`, no other wildcard) checked with startsWith, not a regex. */
  private readonly prefixes: string[];
  private readonly combined: RegExp | null;
  /** Memoised answers; null for resources, whose values rarely repeat (record ids), so caching only churns. */
  private readonly cache: Map<string, boolean> | null;

  constructor(patterns: readonly string[], kind: GlobKind) {
    this.patterns = patterns;
    this.literals = new Set(patterns.filter((p) => !hasWildcard(p)));
    const isPrefix = (p: string): boolean => p.endsWith('**') && !p.slice(0, -2).includes('*');
    this.prefixes = patterns.filter((p) => hasWildcard(p) && isPrefix(p)).map((p) => p.slice(0, -2));
    const wild = patterns.filter((p) => hasWildcard(p) && !isPrefix(p)).map((p) => globToRegExp(p, kind).source.slice(1, -1));
    this.combined = wild.length ? new RegExp(`^(?:${wild.join('|')})$`) : null;
    this.cache = kind === 'resource' ? null : new Map();
  }

  /** True when `value` matches at least one pattern. */
  matches(value: string): boolean {
    if (this.literals.has(value)) return true;
    for (const prefix of this.prefixes) if (value.startsWith(prefix)) return true;
    if (!this.combined) return false;
    if (!this.cache) return this.combined.test(value);
    const hit = this.cache.get(value);
    if (hit !== undefined) return hit;
    const result = this.combined.test(value);
    if (this.cache.size >= 4096) this.cache.clear();
    this.cache.set(value, result);
    return result;
  }

  get size(): number {
    return this.patterns.length;
  }
}
