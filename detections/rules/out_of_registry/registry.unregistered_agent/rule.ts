import type { CanonicalEvent } from '@agentwatch/schemas';
import { defineRule } from '../../../src/engine/types.ts';
import { shortName } from '../../../src/text.ts';

/** What the unregistered agent did, in words, for the title. */
function described(e: CanonicalEvent): string {
  switch (e.kind) {
    case 'tool_call':
      return `called ${e.tool}`;
    case 'token_issued':
      return `was issued token ${e.token_id} by ${e.issuer}`;
    case 'token_revoked':
      return `had token ${e.token_id} revoked`;
    case 'policy_decision':
      return `asked for a policy decision${e.tool ? ` on ${e.tool}` : ''} (${e.decision})`;
  }
}

export default defineRule({
  id: 'registry.unregistered_agent',
  version: '1.0.0',
  category: 'out_of_registry',
  severity: 'high',
  riskScore: 75,
  name: 'Unregistered agent acting',
  description:
    'An agent id that the registry does not list is acting or being issued credentials. Unknown actors are shadow agents, leftovers or intruders until someone claims them.',
  tags: ['owasp-nhi:NHI1', 'owasp-agentic:ASI10', 'mitre-attack:T1078'],
  kinds: ['tool_call', 'token_issued', 'token_revoked', 'policy_decision'],
  appliesTo: (agent) => agent === undefined,
  dedupWindowMs: 86_400_000,
  falsePositives: ['A new agent deployed before its registry entry was merged', 'An agent renamed in telemetry but not in the registry'],
  knownGaps: ['An attacker reusing a registered agent id is not out of registry; credential and behaviour rules cover that'],
  evaluate(event, ctx) {
    if (ctx.agent) return null;
    return {
      dedupKey: 'agent',
      describe: () => ({
        title: `Unregistered agent ${shortName(event.agent_id)} ${described(event)}`,
        summary: `${event.agent_id} is not listed in the agent registry (version ${ctx.registry.version}, ${ctx.registry.agentCount} agents), yet it ${described(event)}${event.source ? ` according to ${event.source}` : ''}. Every acting agent must have a registry entry naming its owner and scope; find who runs it, then register or shut it down.`,
        evidence: { registry_version: ctx.registry.version, event_kind: event.kind, ...(event.source ? { source: event.source } : {}) },
      }),
    };
  },
});
