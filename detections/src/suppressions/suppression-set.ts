import type { Alert, Category, SuppressionMatch, SuppressionRule } from '@agentwatch/schemas';
import { type GlobKind, GlobSyntaxError, globToRegExp } from '../registry/glob.ts';
import { alertResource, alertTool } from './alert-subject.ts';

/** A suppression ready to test alerts against: globs compiled, expiry in epoch milliseconds. */
export interface CompiledSuppression {
  readonly id: string;
  readonly expiresMs: number;
  readonly ruleId: string | undefined;
  readonly category: Category | undefined;
  readonly agent: RegExp | undefined;
  readonly tool: RegExp | undefined;
  readonly resource: RegExp | undefined;
}

/** Thrown by {@link compileSuppression} for a glob that does not compile; `field` is e.g. `match.tool`. */
export class SuppressionGlobError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'SuppressionGlobError';
  }
}

const GLOB_KINDS: ReadonlyArray<[keyof SuppressionMatch & ('agent_id' | 'tool' | 'resource'), GlobKind]> = [
  ['agent_id', 'agent'],
  ['tool', 'tool'],
  ['resource', 'resource'],
];

/** Compiles the globs of a match; throws {@link SuppressionGlobError} naming the field of a bad one. */
export function compileMatchGlobs(match: SuppressionMatch): Partial<Record<'agent_id' | 'tool' | 'resource', RegExp>> {
  const out: Partial<Record<'agent_id' | 'tool' | 'resource', RegExp>> = {};
  for (const [key, kind] of GLOB_KINDS) {
    const pattern = match[key];
    if (pattern === undefined) continue;
    try {
      out[key] = globToRegExp(pattern, kind);
    } catch (e) {
      if (e instanceof GlobSyntaxError) throw new SuppressionGlobError(`match.${key}`, e.message);
      throw e;
    }
  }
  return out;
}

/** Compiles one validated suppression (see {@link SuppressionRule}); throws {@link SuppressionGlobError}. */
export function compileSuppression(s: Pick<SuppressionRule, 'id' | 'match' | 'expires_at'>): CompiledSuppression {
  const globs = compileMatchGlobs(s.match);
  const expiresMs = Date.parse(s.expires_at);
  if (!Number.isFinite(expiresMs)) throw new Error(`suppression ${s.id}: expires_at is not a time: ${s.expires_at}`);
  return {
    id: s.id,
    expiresMs,
    ruleId: s.match.rule_id,
    category: s.match.category,
    agent: globs.agent_id,
    tool: globs.tool,
    resource: globs.resource,
  };
}

/**
 * Whether a suppression hides an alert: every field the match gives must match, and the alert's event time
 * (`last_seen`) must be before the suppression's expiry. Judged per emission of the alert: one that straddles the
 * expiry (first_seen before, last_seen at or after) is suppressed while it ends before the expiry and shown again
 * (status `new`) by the emission that carries it past: its events after the expiry are not covered, and an alert
 * is never hidden for what happened after a suppression ran out.
 */
export function suppressionMatches(s: CompiledSuppression, alert: Alert): boolean {
  if (s.ruleId !== undefined && alert.rule_id !== s.ruleId) return false;
  if (s.category !== undefined && alert.category !== s.category) return false;
  if (s.agent !== undefined && !s.agent.test(alert.agent_id)) return false;
  if (s.tool !== undefined) {
    const tool = alertTool(alert);
    if (tool === undefined || !s.tool.test(tool)) return false;
  }
  if (s.resource !== undefined) {
    const resource = alertResource(alert);
    if (resource === undefined || !s.resource.test(resource)) return false;
  }
  const lastSeenMs = Date.parse(alert.last_seen);
  return Number.isFinite(lastSeenMs) && lastSeenMs < s.expiresMs;
}

/**
 * The suppressions in force, applied by the detection engine to every alert it emits (engine.ts). Live, one set is
 * shared by every engine of the process and {@link replace}d when a suppression is created or deleted through the
 * API, so the next emission sees it without a restart; replay builds one from `--suppressions FILE`. Pure: no clock,
 * no I/O; the first matching suppression (in the order given) is the one named on the alert.
 */
export class SuppressionSet {
  private list: readonly CompiledSuppression[] = [];

  constructor(suppressions: ReadonlyArray<Pick<SuppressionRule, 'id' | 'match' | 'expires_at'>> = []) {
    this.replace(suppressions);
  }

  /** Swaps in a new list (all compiled first: a bad glob throws and leaves the set as it was). */
  replace(suppressions: ReadonlyArray<Pick<SuppressionRule, 'id' | 'match' | 'expires_at'>>): void {
    this.list = suppressions.map(compileSuppression);
  }

  get size(): number {
    return this.list.length;
  }

  /** The first suppression that hides `alert`, or undefined. */
  match(alert: Alert): CompiledSuppression | undefined {
    for (const s of this.list) if (suppressionMatches(s, alert)) return s;
    return undefined;
  }

  /**
   * Sets the verdict on an emitted alert (in place): `suppressed` with the suppression's id, or back to `new` without
   * one. Only detection's own verdict: the store keeps an analyst's triage over it (services/store rows.ts mergeAlert).
   */
  apply(alert: Alert): Alert {
    const s = this.match(alert);
    if (s) {
      alert.status = 'suppressed';
      alert.suppression_id = s.id;
    } else {
      if (alert.status === 'suppressed') alert.status = 'new';
      delete alert.suppression_id;
    }
    return alert;
  }
}
