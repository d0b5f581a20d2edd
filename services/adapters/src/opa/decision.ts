import { getPath, isObject } from '../common.ts';
import { describe } from '../json-values.ts';
import type { OpaOptions } from './options.ts';

export type Decision = 'allow' | 'deny';

export type DecisionReading = { ok: true; decision: Decision; from: string } | { ok: false; problem: string };

/** The compiled parts of the options that decide allow/deny. */
export interface DecisionRule {
  decisionPaths: readonly string[];
  allowValues: ReadonlySet<string>;
  denyValues: ReadonlySet<string>;
  denyRule: RegExp;
  undefinedResult: 'reject' | 'deny';
}

export function compileDecisionRule(o: OpaOptions): DecisionRule {
  return {
    decisionPaths: o.decisionPaths,
    allowValues: new Set(o.allowValues.map((v) => v.toLowerCase())),
    denyValues: new Set(o.denyValues.map((v) => v.toLowerCase())),
    denyRule: new RegExp(o.denyRulePattern),
    undefinedResult: o.undefinedResult,
  };
}

/**
 * Reads allow/deny from a decision-log record's `result`. A boolean is the common `allow` rule; a string
 * is what the upload API example shows (`"true"`); an object is the Envoy plugin's
 * `{allowed, headers, http_status, ...}` or any policy returning a decision object. For a deny rule
 * (`.../deny`) true, or a non-empty set of messages, means deny.
 */
export function readDecision(record: Record<string, unknown>, policy: string | undefined, rule: DecisionRule): DecisionReading {
  const inverted = policy !== undefined && rule.denyRule.test(policy);
  const erased = Array.isArray(record['erased']) && record['erased'].some((p) => p === '/result');
  if (erased) return { ok: false, problem: 'result: erased by the decision-log mask policy, so the decision is unknown' };

  const result = record['result'];
  if (result === undefined || result === null) {
    const why = record['error'] !== undefined ? 'no result (policy evaluation failed, see error)' : 'no result (the rule was undefined for this input)';
    if (rule.undefinedResult === 'deny') return { ok: true, decision: 'deny', from: 'undefined result (undefinedResult: deny)' };
    return { ok: false, problem: `result: ${why}; set undefinedResult to "deny" to count these as denials` };
  }

  const direct = readScalar(result, rule);
  if (direct !== undefined) return { ok: true, decision: inverted ? flip(direct) : direct, from: inverted ? 'result (deny rule)' : 'result' };

  if (Array.isArray(result)) {
    if (inverted) return { ok: true, decision: result.length > 0 ? 'deny' : 'allow', from: 'result (deny rule messages)' };
    return { ok: false, problem: `result: an array is only a decision for a deny rule (policy ${policy ?? '(none)'} does not match denyRulePattern)` };
  }

  if (isObject(result)) {
    for (const path of rule.decisionPaths) {
      const value = getPath(result, path);
      if (value === undefined) continue;
      const d = readScalar(value, rule);
      if (d !== undefined) return { ok: true, decision: d, from: `result.${path}` };
      return { ok: false, problem: `result.${path}: expected a boolean or one of the allow/deny values, got ${describe(value)}` };
    }
    return { ok: false, problem: `result: an object without a decision at ${rule.decisionPaths.map((p) => `result.${p}`).join(', ')}` };
  }

  return { ok: false, problem: `result: expected a boolean, "true"/"false" or a decision object, got ${describe(result)}` };
}

function readScalar(value: unknown, rule: DecisionRule): Decision | undefined {
  if (typeof value === 'boolean') return value ? 'allow' : 'deny';
  if (typeof value !== 'string' || value.length > 32) return undefined;
  const v = value.trim().toLowerCase();
  if (rule.allowValues.has(v)) return 'allow';
  if (rule.denyValues.has(v)) return 'deny';
  return undefined;
}

const flip = (d: Decision): Decision => (d === 'allow' ? 'deny' : 'allow');
