import { defineRule, type Finding } from '../../../src/engine/types.ts';
import { list, shortName } from '../../../src/text.ts';

export default defineRule({
  id: 'registry.unregistered_delegation_actor',
  version: '1.0.0',
  category: 'out_of_registry',
  severity: 'high',
  riskScore: 70,
  name: 'Unregistered agent in a delegation chain',
  description:
    'A delegation chain names an agent the registry does not list (people are recognised from the registry and on_behalf_of). An unknown hop is an unvetted agent handling delegated authority.',
  tags: ['owasp-nhi:NHI3', 'owasp-agentic:ASI07', 'owasp-agentic:ASI10', 'mitre-attack:T1078'],
  kinds: ['tool_call', 'token_issued', 'token_revoked', 'policy_decision'],
  dedupWindowMs: 86_400_000,
  falsePositives: ['A person missing from the registry `people` list and not the event on_behalf_of is taken for an agent'],
  knownGaps: ['The acting agent itself (last element) is covered by registry.unregistered_agent, not here'],
  evaluate(event, ctx) {
    const chain = event.delegation_chain;
    if (!chain || chain.length < 2) return null;
    const findings: Finding[] = [];
    for (let i = 0; i < chain.length - 1; i++) {
      const actor = chain[i] as string;
      if (ctx.registry.isPerson(actor, event.on_behalf_of) || ctx.registry.agent(actor)) continue;
      findings.push({
        dedupKey: actor,
        agentId: actor,
        title: `Unregistered agent ${shortName(actor)} delegated work to ${shortName(event.agent_id)}`,
        summary: `The delegation chain ${list(chain.map(shortName), 8)} includes ${actor}, which is neither a registered agent nor a known person. Work delegated through an unknown agent reached ${event.agent_id}${event.kind === 'tool_call' ? `, which called ${event.tool}` : ''}.`,
        evidence: { delegation_chain: chain, position: i, acting_agent: event.agent_id, registry_version: ctx.registry.version },
      });
    }
    return findings;
  },
});
