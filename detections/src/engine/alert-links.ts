import type { Alert, CanonicalEvent } from '@agentwatch/schemas';
import { cutText } from './bounded-alert.ts';
import type { TokenLookup } from './token-table.ts';

/** Most ids kept per link list of one alert (the alert's own bounds still apply on top). */
export const MAX_LINK_IDS = 10;
const MAX_LINK_ID_CHARS = 256;

/**
 * Records, in an alert's evidence, which other agents and which credentials its events involve, so incidents
 * (detections/src/incidents) can join the alerts of agents tied by a delegation chain or a shared token without
 * reading events again. Rule-independent: every alert gets them from the events folded into it.
 *
 * - `linked_agent_ids`: agents other than the alert's own that its events tie it to: the acting agent when the alert
 *   concerns another one (an unregistered delegation actor), every delegation_chain actor after the first (the first
 *   is the original principal, usually a person, unless the registry lists it as an agent), and the agent a used or
 *   exchanged token was issued to when that is another agent.
 * - `token_ids`: the credentials its events used, issued, exchanged or revoked.
 *
 * Each list is sorted and keeps its {@link MAX_LINK_IDS} smallest ids: a set, whatever order the events were folded in
 * (a late event, a re-check after a late token fact), so replay and live agree.
 */
export function addEventLinks(
  evidence: Alert['evidence'],
  alertAgentId: string,
  event: CanonicalEvent,
  tokens: TokenLookup,
  isAgent: (id: string) => boolean,
): void {
  const agents: string[] = [];
  const tokenIds: string[] = [];
  if (event.agent_id !== alertAgentId) agents.push(event.agent_id);
  const chain = event.delegation_chain ?? [];
  chain.forEach((actor, i) => {
    if (actor !== alertAgentId && (i > 0 || isAgent(actor))) agents.push(actor);
  });
  const used = event.kind === 'token_issued' ? event.parent_token_id : event.token_id;
  if (event.kind === 'token_issued' || event.kind === 'token_revoked') tokenIds.push(event.token_id);
  if (used !== undefined) {
    tokenIds.push(used);
    const owner = tokens.get(used)?.agentId;
    if (owner !== undefined && owner !== alertAgentId) agents.push(owner);
  }
  addIds(evidence, 'linked_agent_ids', agents);
  addIds(evidence, 'token_ids', tokenIds);
}

/** The link lists of an evidence object (for carrying them over when the engine rewrites the evidence). */
export function eventLinks(evidence: Alert['evidence']): { linked_agent_ids?: string[]; token_ids?: string[] } {
  const out: { linked_agent_ids?: string[]; token_ids?: string[] } = {};
  for (const key of ['linked_agent_ids', 'token_ids'] as const) {
    const v = evidence[key];
    if (Array.isArray(v)) out[key] = v.filter((x): x is string => typeof x === 'string');
  }
  return out;
}

function addIds(evidence: Alert['evidence'], key: 'linked_agent_ids' | 'token_ids', ids: readonly string[]): void {
  if (ids.length === 0) return;
  const cur = evidence[key];
  const list: string[] = Array.isArray(cur) ? (cur as string[]) : [];
  for (const raw of ids) {
    const id = cutText(raw, MAX_LINK_ID_CHARS);
    if (!list.includes(id)) list.push(id);
  }
  list.sort();
  if (list.length > MAX_LINK_IDS) list.length = MAX_LINK_IDS;
  evidence[key] = list;
}
