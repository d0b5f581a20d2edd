import { isObject } from '../common.ts';
import { obj, str } from '../record-values.ts';

/** Longer resource names are left out (kept only in the count), not cut: a cut ARN names something else. */
const MAX_RESOURCE_CHARS = 2048;
/** How many `resources[]` entries and request parameters are looked at. */
const MAX_SCANNED = 64;

const fits = (s: string | undefined): s is string => s !== undefined && s.length <= MAX_RESOURCE_CHARS;

/**
 * The resource a call touched: the first `resources[].ARN` (CloudTrail lists the most specific first,
 * e.g. the S3 object before its bucket); else the first request parameter whose value is an ARN
 * (`roleArn`, `policyArn`, `topicArn`, a `functionName` given as ARN...); else an S3 `bucketName`
 * (+ `key`) written as an S3 ARN. Nothing when none of these is there.
 */
export function resourceOf(record: Record<string, unknown>): { resource?: string; count: number } {
  const resources = record['resources'];
  if (Array.isArray(resources)) {
    const arns: string[] = [];
    for (const r of resources.slice(0, MAX_SCANNED)) {
      const arn = isObject(r) ? str(r['ARN']) : undefined;
      if (fits(arn)) arns.push(arn);
    }
    if (arns.length > 0) return { resource: arns[0], count: resources.length };
  }
  const params = obj(record['requestParameters']);
  if (!params) return { count: 0 };
  let scanned = 0;
  for (const value of Object.values(params)) {
    if (++scanned > MAX_SCANNED) break;
    if (typeof value === 'string' && value.startsWith('arn:') && fits(value)) return { resource: value, count: 1 };
  }
  const bucket = str(params['bucketName']);
  if (bucket !== undefined) {
    const key = str(params['key']);
    const arn = key === undefined ? `arn:aws:s3:::${bucket}` : `arn:aws:s3:::${bucket}/${key}`;
    if (fits(arn)) return { resource: arn, count: 1 };
  }
  return { count: 0 };
}
