import { isObject } from '../common.ts';

/**
 * True for a Vault audit request/response entry: `type` request|response, a string `time` and a `request`
 * object with a path or operation. Canonical events (`kind`, `event_id`) and other sources' records
 * (which have no such `request` object) are not claimed.
 */
export function detectVault(record: unknown): boolean {
  if (!isObject(record) || 'kind' in record || 'event_id' in record) return false;
  if (record['type'] !== 'request' && record['type'] !== 'response') return false;
  if (typeof record['time'] !== 'string') return false;
  const req = record['request'];
  return isObject(req) && (typeof req['path'] === 'string' || typeof req['operation'] === 'string');
}
