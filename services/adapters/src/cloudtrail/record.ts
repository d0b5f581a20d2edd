import { isObject, rejected } from '../common.ts';
import { describe, isIpAddress, obj, putAttribute, str } from '../record-values.ts';
import type { AdapterResult } from '../types.ts';
import type { CloudTrailOptions } from './options.ts';
import { parseIsoUtc } from './time.ts';

/** Longest `eventSource` / `eventName` accepted: real ones are short; megabytes of name are hostile. */
const MAX_NAME_CHARS = 256;

/** The fields every mapping needs, checked once. */
export interface TrailRecord {
  raw: Record<string, unknown>;
  eventId: string;
  time: string;
  eventName: string;
  eventSource: string;
  /** `eventSource` without `.amazonaws.com`: the IAM service prefix in nearly all cases (`sts`, `s3`). */
  service: string;
}

/**
 * An EventBridge delivery (`detail-type: "AWS API Call via CloudTrail"`, the record under `detail`) is
 * unwrapped; anything else is returned as is.
 */
export function unwrapEventBridge(record: Record<string, unknown>): Record<string, unknown> {
  const detailType = record['detail-type'];
  const detail = record['detail'];
  if (typeof detailType === 'string' && detailType.endsWith('via CloudTrail') && isObject(detail)) return detail;
  return record;
}

function name(record: Record<string, unknown>, field: string): string | AdapterResult {
  const v = record[field];
  if (typeof v !== 'string' || v.length === 0) return rejected(`${field}: expected a non-empty string, got ${describe(v)}`);
  if (v.length > MAX_NAME_CHARS) return rejected(`${field}: longer than ${MAX_NAME_CHARS} characters (${v.length})`);
  return v;
}

/** Checks `eventID`, `eventTime`, `eventSource`, `eventName`; a reject names the first one that is wrong. */
export function readTrailRecord(raw: Record<string, unknown>): TrailRecord | AdapterResult {
  const eventId = raw['eventID'];
  if (typeof eventId !== 'string' || eventId.length === 0) return rejected(`eventID: expected a non-empty string, got ${describe(eventId)}`);
  const time = parseIsoUtc(raw['eventTime']);
  if (time === undefined) return rejected(`eventTime: expected an ISO-8601 time, got ${describe(raw['eventTime'])}`);
  const eventSource = name(raw, 'eventSource');
  if (typeof eventSource !== 'string') return eventSource;
  const eventName = name(raw, 'eventName');
  if (typeof eventName !== 'string') return eventName;
  const service = eventSource.replace(/\.amazonaws\.com(\.cn)?$/, '');
  return { raw, eventId, time, eventName, eventSource, service };
}

/** Envelope fields shared by every event kind: source IP when it is a real address, environment by account. */
export function envelopeOf(rec: TrailRecord, opts: CloudTrailOptions, account: string | undefined): Record<string, unknown> {
  const ip = str(rec.raw['sourceIPAddress']);
  const environment = account !== undefined && Object.hasOwn(opts.accountEnvironments, account) ? opts.accountEnvironments[account] : undefined;
  return {
    time: rec.time,
    source: opts.source,
    source_ip: ip !== undefined && isIpAddress(ip) ? ip : undefined,
    environment,
  };
}

/**
 * What did not map, bounded: region, account, user agent, request id, error, the caller's identity and
 * session context. An anonymised or service-name `sourceIPAddress` (`255.090.254.5`, `ec2.amazonaws.com`)
 * is kept here rather than rejected.
 */
export function trailAttributes(rec: TrailRecord): Record<string, string> {
  const r = rec.raw;
  const out: Record<string, string> = {};
  putAttribute(out, 'aws.event_source', rec.eventSource);
  putAttribute(out, 'aws.event_name', rec.eventName);
  putAttribute(out, 'aws.event_type', r['eventType']);
  putAttribute(out, 'aws.event_category', r['eventCategory']);
  putAttribute(out, 'aws.event_version', r['eventVersion']);
  putAttribute(out, 'aws.read_only', r['readOnly']);
  putAttribute(out, 'aws.region', r['awsRegion']);
  putAttribute(out, 'aws.account_id', r['recipientAccountId']);
  putAttribute(out, 'aws.request_id', r['requestID']);
  putAttribute(out, 'aws.user_agent', r['userAgent']);
  putAttribute(out, 'aws.error_code', r['errorCode']);
  putAttribute(out, 'aws.error_message', r['errorMessage']);
  putAttribute(out, 'aws.vpc_endpoint_id', r['vpcEndpointId']);
  putAttribute(out, 'aws.tls.host', obj(r['tlsDetails'])?.['clientProvidedHostHeader']);
  const ip = str(r['sourceIPAddress']);
  if (ip !== undefined && !isIpAddress(ip)) putAttribute(out, 'aws.source_ip_address', ip);
  const ui = obj(r['userIdentity']);
  if (ui) {
    putAttribute(out, 'aws.user_identity.type', ui['type']);
    putAttribute(out, 'aws.user_identity.arn', ui['arn']);
    putAttribute(out, 'aws.user_identity.principal_id', ui['principalId']);
    putAttribute(out, 'aws.user_identity.account_id', ui['accountId']);
    putAttribute(out, 'aws.user_identity.access_key_id', ui['accessKeyId']);
    putAttribute(out, 'aws.user_identity.user_name', ui['userName']);
    putAttribute(out, 'aws.user_identity.invoked_by', ui['invokedBy']);
    putAttribute(out, 'aws.user_identity.identity_provider', ui['identityProvider']);
    const ctx = obj(ui['sessionContext']);
    putAttribute(out, 'aws.user_identity.source_identity', ctx?.['sourceIdentity']);
    putAttribute(out, 'aws.user_identity.session_issuer_arn', obj(ctx?.['sessionIssuer'])?.['arn']);
    putAttribute(out, 'aws.user_identity.mfa_authenticated', obj(ctx?.['attributes'])?.['mfaAuthenticated']);
    putAttribute(out, 'aws.user_identity.session_created', obj(ctx?.['attributes'])?.['creationDate']);
  }
  return out;
}
