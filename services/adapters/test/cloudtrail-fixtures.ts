import { readFileSync } from 'node:fs';
import type { AdapterResult, RecordAdapter } from '../src/types.ts';
import { HOSTILE_VALUES, mutator } from './fuzz.ts';

/** The real samples, read in place (never copied into the repo). */
const SAMPLES = new URL('../../../../shared/samples/aws-cloudtrail/', import.meta.url);
export const FEDERATION_FILE = 'stratus_aws.persistence.sts-federation-token.json';
export const LEAVE_ORG_FILE = 'stratus_aws.defense-evasion.organizations-leave.json';

export function sampleRecords(file: string): Record<string, unknown>[] {
  return JSON.parse(readFileSync(new URL(file, SAMPLES), 'utf8')) as Record<string, unknown>[];
}

export function runAll(adapter: RecordAdapter, records: unknown[]): AdapterResult[] {
  return records.map((r) => adapter.map(r));
}

export const clone = <T>(v: T): T => structuredClone(v);

const ACCOUNT = '111122223333';

/** An `AssumeRole` by an IAM user, shaped like the Stratus sample, issuing `keyId` to `role`/`session`. */
export function assumeRole(o: {
  id: string;
  time: string;
  role: string;
  session: string;
  keyId: string;
  expiration: string;
  duration?: number;
  extraRequest?: Record<string, unknown>;
  caller?: Record<string, unknown>;
}): Record<string, unknown> {
  const roleArn = `arn:aws:iam::${ACCOUNT}:role/${o.role}`;
  return {
    eventVersion: '1.08',
    userIdentity: o.caller ?? {
      type: 'IAMUser',
      principalId: 'AIDAEXAMPLEUSER00001',
      arn: `arn:aws:iam::${ACCOUNT}:user/deployer`,
      accountId: ACCOUNT,
      accessKeyId: 'AKIAEXAMPLEDEPLOYER1',
      userName: 'deployer',
    },
    eventTime: o.time,
    eventSource: 'sts.amazonaws.com',
    eventName: 'AssumeRole',
    awsRegion: 'eu-west-1',
    sourceIPAddress: '203.0.113.10',
    userAgent: 'aws-sdk-go-v2/1.32.3',
    requestParameters: { roleArn, roleSessionName: o.session, durationSeconds: o.duration ?? 900, ...o.extraRequest },
    responseElements: {
      credentials: { accessKeyId: o.keyId, sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE', expiration: o.expiration },
      assumedRoleUser: { assumedRoleId: `AROAEXAMPLEROLE00001:${o.session}`, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${o.role}/${o.session}` },
    },
    requestID: `req-${o.id}`,
    eventID: o.id,
    readOnly: true,
    resources: [{ accountId: ACCOUNT, type: 'AWS::IAM::Role', ARN: roleArn }],
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
  };
}

/** A call made with the temporary key `keyId` by the session `role`/`session`, shaped like the Stratus sample. */
export function sessionCall(o: {
  id: string;
  time: string;
  role: string;
  session: string;
  keyId: string;
  eventSource?: string;
  eventName?: string;
  errorCode?: string;
  readOnly?: boolean;
  requestParameters?: Record<string, unknown> | null;
  resources?: Record<string, unknown>[];
  sourceIdentity?: string;
}): Record<string, unknown> {
  const record: Record<string, unknown> = {
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      principalId: `AROAEXAMPLEROLE00001:${o.session}`,
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${o.role}/${o.session}`,
      accountId: ACCOUNT,
      accessKeyId: o.keyId,
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: 'AROAEXAMPLEROLE00001',
          arn: `arn:aws:iam::${ACCOUNT}:role/${o.role}`,
          accountId: ACCOUNT,
          userName: o.role,
        },
        attributes: { creationDate: o.time, mfaAuthenticated: 'false' },
        ...(o.sourceIdentity ? { sourceIdentity: o.sourceIdentity } : {}),
      },
    },
    eventTime: o.time,
    eventSource: o.eventSource ?? 's3.amazonaws.com',
    eventName: o.eventName ?? 'GetObject',
    awsRegion: 'eu-west-1',
    sourceIPAddress: '203.0.113.20',
    userAgent: '[Boto3/1.34.0]',
    requestParameters: o.requestParameters === undefined ? { bucketName: 'invoices', key: '2024/118.pdf' } : o.requestParameters,
    responseElements: null,
    requestID: `req-${o.id}`,
    eventID: o.id,
    readOnly: o.readOnly ?? true,
    eventType: 'AwsApiCall',
    managementEvent: false,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Data',
  };
  if (o.errorCode !== undefined) record['errorCode'] = o.errorCode;
  if (o.resources !== undefined) record['resources'] = o.resources;
  return record;
}

/** Replaces, deletes or adds 1..3 values at random places of a record (5% of the time: a hostile value instead). */
export const mutate = mutator([...HOSTILE_VALUES, 'ASIAFUZZ', 'arn:aws:sts::1:assumed-role/r/s', '999.1.1.1']);

export { mulberry32 } from './fuzz.ts';
