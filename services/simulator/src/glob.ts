import { type GlobKind, PatternSet } from '@agentwatch/detections';

/**
 * Registry glob matching, the same code the detections use (detections/src/registry/glob.ts). The
 * simulator uses it to keep benign traffic inside each agent's declared scope and to pick attack values
 * that fall outside.
 */
const sets = new Map<string, PatternSet>();

/** True when `value` matches one of `patterns`. An absent list (undefined) restricts nothing. */
export function matchesAny(value: string, patterns: readonly string[] | undefined, kind: GlobKind): boolean {
  if (patterns === undefined) return true;
  const key = `${kind}\u0000${patterns.join('\u0001')}`;
  let set = sets.get(key);
  if (!set) {
    set = new PatternSet(patterns, kind);
    sets.set(key, set);
  }
  return set.matches(value);
}
