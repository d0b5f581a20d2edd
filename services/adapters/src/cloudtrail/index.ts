import { emptyResult, guardedMap, isObject, mapEntries, mergeInto, rejected, skipped } from '../common.ts';
import { describe, obj, str } from '../record-values.ts';
import type { AdapterResult, RecordAdapter } from '../types.ts';
import { mapApiCall } from './api-call.ts';
import { ISSUING_OPERATIONS, isTemporaryKey, mapIssuance } from './issuance.ts';
import { CloudTrailOptions } from './options.ts';
import { readTrailRecord, unwrapEventBridge } from './record.ts';

export { CloudTrailOptions } from './options.ts';

/** At most this many `Records` entries are mapped from one wrapper object (the CLI normally unwraps them). */
const MAX_RECORDS = 100_000;

/** Event types that are not API calls made by a principal (service events, console sign-ins, Insights). */
function eventTypeSkipReason(eventType: unknown): string | undefined {
  if (eventType === undefined || eventType === 'AwsApiCall') return undefined;
  return `eventType ${typeof eventType === 'string' ? eventType : describe(eventType)}: not an API call made with agent credentials`;
}

function mapOne(raw: unknown, opts: CloudTrailOptions): AdapterResult {
  if (!isObject(raw)) return rejected(`record: expected a CloudTrail record object, got ${describe(raw)}`);
  const rec = readTrailRecord(unwrapEventBridge(raw));
  if (!('raw' in rec)) return rec;
  const typeReason = eventTypeSkipReason(rec.raw['eventType']);
  if (typeReason !== undefined) return skipped(typeReason);

  if (rec.service === 'sts' && Object.hasOwn(ISSUING_OPERATIONS, rec.eventName)) {
    const result = emptyResult();
    // Role chaining: the caller's own key was used for this call, so it is also the caller's tool call.
    if (isTemporaryKey(str(obj(rec.raw['userIdentity'])?.['accessKeyId']))) mergeInto(result, mapApiCall(rec, opts, 'call'));
    const issued = mapIssuance(rec, opts);
    if (issued.skipped > 0 && (result.events.length > 0 || result.rejects.length > 0)) return result;
    return mergeInto(result, issued);
  }
  return mapApiCall(rec, opts);
}

/**
 * CloudTrail adapter: STS issuance -> `token_issued`, calls made with temporary credentials -> `tool_call`
 * (see README.md). One record in is one CloudTrail record (also accepted: an EventBridge delivery, or a
 * whole `{"Records": [...]}` file object, whose entries are mapped with a `Records[i]` path).
 */
export function createCloudTrailAdapter(options: Partial<CloudTrailOptions> = {}): RecordAdapter {
  const opts = CloudTrailOptions.parse(options);
  const safeMap = guardedMap((raw) => mapOne(raw, opts));
  return {
    format: 'cloudtrail',
    map(record: unknown): AdapterResult {
      const records = isObject(record) ? record['Records'] : undefined;
      return Array.isArray(records) ? mapEntries(records, 'Records', MAX_RECORDS, safeMap) : safeMap(record);
    },
    flush: emptyResult,
  };
}

/** A CloudTrail record: `eventSource`, `eventName`, `eventTime` and `eventID` or `userIdentity`. */
function looksLikeTrailRecord(v: unknown): boolean {
  if (!isObject(v) || 'kind' in v) return false;
  return (
    typeof v['eventSource'] === 'string' &&
    typeof v['eventName'] === 'string' &&
    typeof v['eventTime'] === 'string' &&
    (typeof v['eventID'] === 'string' || isObject(v['userIdentity']))
  );
}

/** True for a CloudTrail record, an EventBridge "… via CloudTrail" delivery, or a `{"Records": [...]}` object of them. */
export function detectCloudTrail(record: unknown): boolean {
  if (!isObject(record)) return false;
  if (looksLikeTrailRecord(record)) return true;
  const detailType = record['detail-type'];
  if (typeof detailType === 'string' && detailType.endsWith('via CloudTrail') && looksLikeTrailRecord(record['detail'])) return true;
  const records = record['Records'];
  return Array.isArray(records) && records.length > 0 && looksLikeTrailRecord(records[0]);
}
