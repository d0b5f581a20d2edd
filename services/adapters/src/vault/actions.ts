import type { Action } from '@agentwatch/schemas';
import type { VaultPathAction } from './options.ts';

const escapeRe = (s: string): string => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');

/** `*` matches within one path segment, `**` across segments (the registry's resource glob rules). */
function pathGlob(pattern: string): RegExp {
  let re = '';
  for (const part of pattern.replace(/^\/+/, '').split(/(\*\*|\*)/)) {
    if (part === '**') re += '.*';
    else if (part === '*') re += '[^/]*';
    else re += escapeRe(part);
  }
  return new RegExp(`^${re}$`);
}

const BY_OPERATION: Record<string, Action> = {
  read: 'read',
  list: 'read',
  help: 'read',
  create: 'write',
  update: 'write',
  patch: 'write',
  delete: 'delete',
};

export interface CompiledPathAction {
  re: RegExp;
  action: Action;
  operations: ReadonlySet<string>;
}

export function compilePathActions(rules: readonly VaultPathAction[]): CompiledPathAction[] {
  return rules.map((r) => ({ re: pathGlob(r.pattern), action: r.action, operations: new Set(r.operations) }));
}

/** The canonical action of a Vault request: the first matching path rule, else the operation's meaning. */
export function actionFor(operation: string, path: string, rules: readonly CompiledPathAction[]): Action {
  const bare = path.replace(/\/+$/, '');
  for (const r of rules) {
    if ((r.operations.size === 0 || r.operations.has(operation)) && (r.re.test(path) || r.re.test(bare))) return r.action;
  }
  return BY_OPERATION[operation] ?? 'other';
}

/** One dot-free tool-name segment: registry tool globs split on `.`, so a `.` inside would shift them. */
function toolSegment(s: string): string {
  const clean = s.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
  return clean === '' ? 'unknown' : clean;
}

/** `<prefix>.<mount type>.<operation>`, e.g. `vault.kv.read`; the first path segment stands in for a missing mount type. */
export function toolName(prefix: string, mountType: string | undefined, path: string, operation: string): string {
  const mount = mountType ?? path.split('/')[0] ?? '';
  return `${prefix}.${toolSegment(mount)}.${toolSegment(operation)}`;
}

/** `vault://<namespace path><path>`: registry resource globs such as `vault://secret/data/apps/**` match it. */
export function resourceName(prefix: string, namespacePath: string, path: string): string {
  return `${prefix}${namespacePath}${path}`;
}

/** The auth mount that issued a token: `request.mount_point`, else `auth/<method>` from the path. */
export function authMount(mountPoint: string | undefined, path: string): string {
  if (mountPoint) return mountPoint.replace(/\/+$/, '');
  const segs = path.split('/');
  return segs[0] === 'auth' && segs[1] ? `auth/${segs[1]}` : (segs[0] ?? '');
}
