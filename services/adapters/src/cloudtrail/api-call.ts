import { finishEvent, rejected, skipped, stableEventId } from '../common.ts';
import { describe, obj, putAttribute, str } from '../record-values.ts';
import type { AdapterResult } from '../types.ts';
import { actionOf, outcomeOf } from './action.ts';
import { agentIdOf, callerSessionFacts } from './identity.ts';
import { isTemporaryKey } from './issuance.ts';
import type { CloudTrailOptions } from './options.ts';
import { envelopeOf, type TrailRecord, trailAttributes } from './record.ts';
import { resourceOf } from './resource.ts';

/** Identity types that only exist for sessions holding temporary credentials. */
const SESSION_TYPES = new Set(['AssumedRole', 'FederatedUser', 'WebIdentityUser']);
/** Identity types that sign with long-term keys of their own. */
const LONG_TERM_TYPES = new Set(['IAMUser', 'Root']);

/**
 * Whether a call is agent-token activity: made with temporary credentials (an `ASIA…` key, or a
 * session identity type). Returns the skip reason when it is not.
 */
function whyNotMapped(userIdentity: Record<string, unknown>, record: Record<string, unknown>, opts: CloudTrailOptions): string | undefined {
  const type = str(userIdentity['type']) ?? 'unknown';
  const keyId = str(userIdentity['accessKeyId']);
  const temporary = isTemporaryKey(keyId) || SESSION_TYPES.has(type);
  if (temporary) {
    if (record['sessionCredentialFromConsole'] === 'true' && opts.consoleSessions === 'skip') {
      return 'call from an AWS console session (sessionCredentialFromConsole): a person, not an agent (consoleSessions: skip)';
    }
    return undefined;
  }
  if (LONG_TERM_TYPES.has(type) || keyId?.startsWith('AKIA')) {
    if (opts.longTermKeys === 'map') return undefined;
    return `call by userIdentity.type ${type} with long-term credentials: not agent-token activity (longTermKeys: skip)`;
  }
  return `call by userIdentity.type ${type}: not made with an agent's temporary credentials`;
}

/**
 * A call made with a session's credentials -> `tool_call`. The agent is the session, named by the same
 * precedence as at issuance; `token_id` is the access key id, so the call joins its `token_issued`.
 * `idSuffix` distinguishes the caller's call when the same record also issues a token (role chaining).
 */
export function mapApiCall(rec: TrailRecord, opts: CloudTrailOptions, idSuffix?: string): AdapterResult {
  const r = rec.raw;
  const userIdentity = r['userIdentity'];
  const ui = obj(userIdentity);
  if (ui === undefined) return rejected(`userIdentity: expected an object, got ${describe(userIdentity)}`);
  const reason = whyNotMapped(ui, r, opts);
  if (reason !== undefined) return skipped(reason);

  const facts = callerSessionFacts(ui);
  const agent = agentIdOf(facts, opts.agentIdFrom, opts.agentIdPrefix);
  if (agent === undefined) {
    return rejected(`userIdentity: no agent id for the calling session, none of ${opts.agentIdFrom.join(', ')} is in the record`);
  }
  const keyId = str(ui['accessKeyId']);
  const { resource, count } = resourceOf(r);
  const attributes = trailAttributes(rec);
  putAttribute(attributes, 'agentwatch.agent_id_from', agent.fact);
  if (count > 1) attributes['aws.resource_count'] = String(count);

  const parts: (string | number)[] = idSuffix === undefined ? [rec.eventId] : [rec.eventId, idSuffix];
  return finishEvent({
    kind: 'tool_call',
    event_id: stableEventId(opts.source, ...parts),
    ...envelopeOf(rec, opts, str(r['recipientAccountId']) ?? facts.accountId),
    agent_id: agent.agentId,
    session_id: agent.fact !== 'sessionName' ? facts.sessionName : undefined,
    tool: `${rec.service}:${rec.eventName}`,
    action: actionOf(rec.service, rec.eventName, r['readOnly'], opts),
    resource,
    outcome: outcomeOf(r['errorCode']),
    token_id: keyId !== undefined && keyId.length <= 256 ? keyId : undefined,
    attributes,
  });
}
