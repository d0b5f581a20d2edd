import { FIELDS_IGNORED } from '../canonical-fields.ts';
import { finishEvent, rejected, skipped, stableEventId } from '../common.ts';
import type { AdapterResult } from '../types.ts';
import type { OktaOptions } from './options.ts';
import { actorIsPerson, agentOf, envelopeOf, findTarget, type LogEvent, logAttributes, noAgentReason } from './record.ts';
import { obj, putAttribute, str } from './values.ts';

/** `Default Policy / Default Rule` from the `PolicyEntity` and `PolicyRule` targets, when present. */
export function policyNameOf(ev: LogEvent): string | undefined {
  const policy = findTarget(ev, (t) => t === 'PolicyEntity');
  const rule = findTarget(ev, (t) => t === 'PolicyRule');
  const names = [str(policy?.['displayName']) ?? str(policy?.['id']), str(rule?.['displayName']) ?? str(rule?.['id'])].filter(
    (n): n is string => n !== undefined,
  );
  return names.length > 0 ? names.join(' / ') : undefined;
}

/**
 * A refused token grant or a `policy.*` evaluation -> `policy_decision`. The agent is the OAuth client, as
 * for grants; an evaluation about a person with no client in the event is not agent activity and is
 * skipped (a grant that cannot be attributed is rejected instead: it should have named its client).
 */
export function mapDecision(ev: LogEvent, opts: OktaOptions, decision: 'allow' | 'deny', origin: 'grant' | 'policy'): AdapterResult {
  const agent = agentOf(ev, opts);
  if (agent === undefined) {
    if (origin === 'policy' && actorIsPerson(ev, opts)) {
      return skipped(`${ev.eventType} ${ev.result}: a decision about a person with no OAuth client in the event, not agent activity`);
    }
    return rejected(noAgentReason(ev, opts));
  }
  const attributes = logAttributes(ev);
  putAttribute(attributes, 'okta.policy.type', obj(findTarget(ev, (t) => t === 'PolicyEntity')?.['detailEntry'])?.['policyType']);
  putAttribute(attributes, 'okta.authorization_server.id', findTarget(ev, (t) => t === 'AuthorizationServer')?.['id']);
  putAttribute(attributes, 'okta.authorization_server.name', findTarget(ev, (t) => t === 'AuthorizationServer')?.['displayName']);
  putAttribute(attributes, 'agentwatch.agent_id_from', agent.path);
  const ignored: string[] = [];
  const envelope = envelopeOf(ev, opts, attributes, ignored);
  if (ignored.length > 0) attributes[FIELDS_IGNORED] = ignored.join(',');
  return finishEvent({
    kind: 'policy_decision',
    event_id: stableEventId(opts.source, ev.uuid),
    ...envelope,
    agent_id: agent.agentId,
    decision,
    policy: policyNameOf(ev),
    attributes,
  });
}
