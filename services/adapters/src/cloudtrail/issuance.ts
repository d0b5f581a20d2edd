import { finishEvent, isObject, rejected, skipped, stableEventId } from '../common.ts';
import { describe, obj, putAttribute, str } from '../record-values.ts';
import type { AdapterResult } from '../types.ts';
import { agentIdOf, callerSessionFacts, issuedSessionFacts } from './identity.ts';
import type { CloudTrailOptions } from './options.ts';
import { envelopeOf, type TrailRecord, trailAttributes } from './record.ts';
import { issuedScopes } from './scopes.ts';
import { parseCloudTrailTime } from './time.ts';

/** STS operations that hand out temporary credentials, with the `grant_type` they are recorded as. */
export const ISSUING_OPERATIONS: Record<string, string> = {
  AssumeRole: 'assume_role',
  AssumeRoleWithWebIdentity: 'assume_role_with_web_identity',
  AssumeRoleWithSAML: 'assume_role_with_saml',
  GetFederationToken: 'federation_token',
  GetSessionToken: 'session_token',
};

const MAX_KEY_ID_CHARS = 256;

/** Temporary (STS) access key ids start with `ASIA`; long-term IAM user keys with `AKIA`. */
export const isTemporaryKey = (keyId: string | undefined): boolean => keyId?.startsWith('ASIA') === true;

/** `expires_at`: `credentials.expiration`, else the requested `durationSeconds` after the event. */
function expiryOf(rec: TrailRecord, credentials: Record<string, unknown>, req: Record<string, unknown>): { at: string; from: string } | undefined {
  const at = parseCloudTrailTime(credentials['expiration']);
  if (at !== undefined) return { at, from: 'expiration' };
  const seconds = req['durationSeconds'];
  if (typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0 && seconds <= 31_536_000) {
    return { at: new Date(Date.parse(rec.time) + seconds * 1000).toISOString(), from: 'durationSeconds' };
  }
  return undefined;
}

/**
 * A successful STS issuance -> `token_issued` to the session that received the key (not to the caller).
 * A failed call issued nothing and is skipped; so is a success without `responseElements`, which AWS
 * leaves out for some service-invoked calls (no key id to follow).
 */
export function mapIssuance(rec: TrailRecord, opts: CloudTrailOptions): AdapterResult {
  const r = rec.raw;
  const grantType = ISSUING_OPERATIONS[rec.eventName] as string;
  const errorCode = str(r['errorCode']);
  if (errorCode !== undefined) return skipped(`${rec.eventName} failed (${errorCode}): no credentials were issued`);
  const resp = r['responseElements'];
  if (resp === undefined || resp === null) {
    return skipped(`${rec.eventName} without responseElements (AWS omits them for some service-invoked calls): no issued key to follow`);
  }
  if (!isObject(resp)) return rejected(`responseElements: expected an object, got ${describe(resp)}`);
  const credentials = resp['credentials'];
  if (!isObject(credentials)) return rejected(`responseElements.credentials: expected an object, got ${describe(credentials)}`);
  const keyId = credentials['accessKeyId'];
  if (typeof keyId !== 'string' || keyId.length === 0 || keyId.length > MAX_KEY_ID_CHARS) {
    return rejected(`responseElements.credentials.accessKeyId: expected an access key id, got ${describe(keyId)}`);
  }
  const req = obj(r['requestParameters']) ?? {};
  const expiry = expiryOf(rec, credentials, req);
  if (expiry === undefined) {
    return rejected(
      `responseElements.credentials.expiration: expected a time such as "Nov 30, 2024, 8:43:17 PM" or ISO-8601, got ${describe(credentials['expiration'])}`,
    );
  }

  const facts = issuedSessionFacts(r, rec.eventName);
  const agent = agentIdOf(facts, opts.agentIdFrom, opts.agentIdPrefix);
  if (agent === undefined) {
    return rejected(`no agent id for the issued session: none of ${opts.agentIdFrom.join(', ')} is in the record`);
  }
  const caller = obj(r['userIdentity']) ?? {};
  const callerKey = str(caller['accessKeyId']);
  const principalArn = rec.eventName.startsWith('AssumeRole') ? facts.roleArn : str(caller['arn']);
  const { scopes, truncated } = issuedScopes(principalArn, req, opts);

  let delegationChain: string[] | undefined;
  if (opts.roleChainingAsDelegation && isTemporaryKey(callerKey)) {
    const callerAgent = agentIdOf(callerSessionFacts(caller), opts.agentIdFrom, opts.agentIdPrefix);
    if (callerAgent !== undefined && callerAgent.agentId !== agent.agentId) delegationChain = [callerAgent.agentId, agent.agentId];
  }
  const audience = str(resp['audience']);

  const attributes = trailAttributes(rec);
  putAttribute(attributes, 'aws.issued_session.name', facts.sessionName);
  putAttribute(attributes, 'aws.issued_session.role_arn', facts.roleArn);
  putAttribute(attributes, 'aws.issued_session.arn', facts.sessionArn);
  putAttribute(attributes, 'aws.issued_session.source_identity', facts.sourceIdentity);
  putAttribute(attributes, 'aws.duration_seconds', req['durationSeconds']);
  putAttribute(attributes, 'aws.packed_policy_size', resp['packedPolicySize']);
  putAttribute(attributes, 'aws.web_identity.provider', resp['provider']);
  putAttribute(attributes, 'aws.web_identity.subject', resp['subjectFromWebIdentityToken']);
  putAttribute(attributes, 'aws.saml.subject', resp['subject']);
  putAttribute(attributes, 'aws.saml.issuer', resp['issuer']);
  putAttribute(attributes, 'agentwatch.agent_id_from', agent.fact);
  putAttribute(attributes, 'agentwatch.expires_at_from', expiry.from);
  if (truncated) attributes['agentwatch.scopes_truncated'] = 'true';

  return finishEvent({
    kind: 'token_issued',
    event_id: stableEventId(opts.source, rec.eventId),
    ...envelopeOf(rec, opts, facts.accountId),
    agent_id: agent.agentId,
    session_id: agent.fact !== 'sessionName' ? facts.sessionName : undefined,
    delegation_chain: delegationChain,
    token_id: keyId,
    issuer: facts.accountId !== undefined ? `sts.amazonaws.com/${facts.accountId}` : 'sts.amazonaws.com',
    scopes,
    audience: audience !== undefined ? [audience] : undefined,
    expires_at: expiry.at,
    grant_type: grantType,
    parent_token_id: isTemporaryKey(callerKey) ? callerKey : undefined,
    attributes,
  });
}
