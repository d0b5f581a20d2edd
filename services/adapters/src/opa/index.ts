import { emptyResult, isObject } from '../common.ts';
import type { RecordAdapter } from '../types.ts';
import { compileOpaOptions, mapDecision } from './map-decision.ts';
import { OpaOptions, type OpaOptionsInput } from './options.ts';

export { DEFAULT_ACTION_MAP, DEFAULT_AGENT_PATHS, OpaOptions, type OpaOptionsInput } from './options.ts';

/**
 * OPA decision logs -> `policy_decision` events. Stateless: each record is one decision, so `flush`
 * has nothing to give back. Options are validated here (a bad regex or path list throws at start-up).
 */
export function createOpaAdapter(options: OpaOptionsInput = {}): RecordAdapter {
  const compiled = compileOpaOptions(OpaOptions.parse(options));
  return {
    format: 'opa',
    map: (record) => mapDecision(record, compiled),
    flush: emptyResult,
  };
}

/**
 * True for an OPA decision-log record: a console-logger line (`type: openpolicyagent.org/decision_logs`)
 * or an upload-API element (`decision_id` plus a policy `path` or `query`, and `timestamp`).
 */
export function detectOpa(record: unknown): boolean {
  if (!isObject(record) || ('kind' in record && 'event_id' in record)) return false;
  if (record['type'] === 'openpolicyagent.org/decision_logs') return true;
  return (
    typeof record['decision_id'] === 'string' &&
    (typeof record['path'] === 'string' || typeof record['query'] === 'string') &&
    typeof record['timestamp'] === 'string'
  );
}
