import { isObject } from '../common.ts';
import { str } from '../record-values.ts';
import type { CloudTrailOptions } from './options.ts';

/** Bounds: a session policy is at most a few KB; more is not worth parsing per record. */
const MAX_POLICY_CHARS = 20_000;
const MAX_STATEMENTS = 100;
const MAX_SCOPES = 100;
const MAX_SCOPE_CHARS = 512;

/** Marks an inline session policy whose permissions could not be listed as actions. */
export const INLINE_POLICY_MARKER = 'inline-session-policy';

/**
 * The `Allow` actions of an inline session policy (`requestParameters.policy`, JSON text). A policy that
 * cannot be read, or uses `NotAction`, adds {@link INLINE_POLICY_MARKER} so its presence is still visible.
 * `Deny` statements only narrow the session and are not listed.
 */
export function inlinePolicyActions(policy: unknown): string[] {
  let doc: unknown = policy;
  if (typeof policy === 'string') {
    if (policy.length > MAX_POLICY_CHARS) return [INLINE_POLICY_MARKER];
    try {
      doc = JSON.parse(policy);
    } catch {
      return [INLINE_POLICY_MARKER];
    }
  }
  if (!isObject(doc)) return [INLINE_POLICY_MARKER];
  const statement = doc['Statement'];
  const statements = Array.isArray(statement) ? statement : [statement];
  const out: string[] = [];
  for (const s of statements.slice(0, MAX_STATEMENTS)) {
    if (!isObject(s)) {
      out.push(INLINE_POLICY_MARKER);
      continue;
    }
    if (s['Effect'] !== 'Allow') continue;
    const action = s['Action'];
    if (typeof action === 'string') out.push(action);
    else if (Array.isArray(action)) for (const a of action) if (typeof a === 'string') out.push(a);
    if (s['NotAction'] !== undefined) out.push(INLINE_POLICY_MARKER);
  }
  return out;
}

/** `policyArns: [{ "arn": "arn:aws:iam::aws:policy/ReadOnlyAccess" }]` -> the ARNs. */
function policyArns(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  const out: string[] = [];
  for (const p of value.slice(0, MAX_SCOPES)) {
    const arn = isObject(p) ? str(p['arn']) : undefined;
    if (arn !== undefined) out.push(arn);
  }
  return out;
}

/**
 * Scopes of an issued session, in order: the principal whose permissions it carries (the role ARN, or the
 * IAM user ARN for federation and session tokens), managed session policies, inline session policy actions.
 * Deduplicated and bounded; `truncated` says whether anything was left out.
 */
export function issuedScopes(
  principalArn: string | undefined,
  requestParameters: Record<string, unknown>,
  opts: CloudTrailOptions,
): { scopes: string[]; truncated: boolean } {
  const all: string[] = [];
  if (opts.scopesFrom.includes('principalArn') && principalArn !== undefined) all.push(principalArn);
  if (opts.scopesFrom.includes('policyArns')) all.push(...policyArns(requestParameters['policyArns']));
  if (opts.scopesFrom.includes('inlinePolicyActions') && requestParameters['policy'] !== undefined && requestParameters['policy'] !== null) {
    all.push(...inlinePolicyActions(requestParameters['policy']));
  }
  const unique = [...new Set(all.filter((s) => s.length > 0 && s.length <= MAX_SCOPE_CHARS))];
  return { scopes: unique.slice(0, MAX_SCOPES), truncated: unique.length > MAX_SCOPES || unique.length < new Set(all).size };
}
