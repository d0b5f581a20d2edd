import { getPath } from '../common.ts';

/** A value usable as an id: a non-empty string, a finite number, or the first such element of an array (audited headers are lists). */
function idValue(v: unknown): string | undefined {
  if (typeof v === 'string') return v.length > 0 ? v : undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (Array.isArray(v)) {
    for (const el of v.slice(0, 16)) {
      const s = idValue(typeof el === 'object' ? undefined : el);
      if (s !== undefined) return s;
    }
  }
  return undefined;
}

/**
 * The agent id by configurable precedence: each path is read from `auth` (the token's auth block), or from
 * the whole entry when it starts with `$.`. The prefix turns a role name into the registry's id form.
 */
export function agentIdFrom(auth: Record<string, unknown>, entry: Record<string, unknown>, paths: readonly string[], prefix: string): string | undefined {
  for (const path of paths) {
    const v = path.startsWith('$.') ? getPath(entry, path.slice(2)) : getPath(auth, path);
    const id = idValue(v);
    if (id !== undefined) return prefix + id;
  }
  return undefined;
}
