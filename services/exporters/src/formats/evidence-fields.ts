import type { Alert } from '@agentwatch/schemas';

/**
 * Typed reads of the rule-specific context in `alert.evidence` (alerts.md: "plus rule-specific context"). The object
 * is loose, so every read checks the type and ignores anything else: a rule that stores an odd shape loses that field
 * in the mapped output (it is still under `unmapped`), never the delivery.
 */
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.length > 0) : []);

export interface EvidenceFields {
  /** Principals from the start of the delegation chain to the acting agent. */
  delegationChain: string[];
  /** Token ids involved (`token_id` first, then `token_ids`), without repeats. */
  tokenIds: string[];
  tool?: string;
  action?: string;
  resource?: string;
  sessionId?: string;
  /** Another agent the alert names besides `agent_id`: the acting agent, the agent a token was issued to, or the delegator. */
  otherAgent?: string;
}

export function evidenceFields(alert: Alert): EvidenceFields {
  const e = alert.evidence as Record<string, unknown>;
  const tokens = [...new Set([str(e['token_id']), ...strs(e['token_ids'])].filter((t): t is string => t !== undefined))];
  const other = [str(e['acting_agent']), str(e['issued_to']), str(e['delegator'])].find((a) => a !== undefined && a !== alert.agent_id);
  const fields: EvidenceFields = { delegationChain: strs(e['delegation_chain']), tokenIds: tokens };
  const set = (k: 'tool' | 'action' | 'resource' | 'sessionId' | 'otherAgent', v: string | undefined) => {
    if (v !== undefined) fields[k] = v;
  };
  set('tool', str(e['tool']));
  set('action', str(e['action']));
  set('resource', str(e['resource']));
  set('sessionId', str(e['session_id']));
  set('otherAgent', other);
  return fields;
}

/** The readable name of an agent id: the last path segment of a SPIFFE id or URI, else the id itself. */
export function agentName(agentId: string): string {
  const tail = agentId.replace(/\/+$/, '').split('/').pop();
  return tail && tail.length > 0 ? tail : agentId;
}
