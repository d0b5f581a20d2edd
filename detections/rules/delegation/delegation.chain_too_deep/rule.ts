import { defineRule } from '../../../src/engine/types.ts';
import { chainAgents } from '../../../src/rule-helpers.ts';
import { list, shortName } from '../../../src/text.ts';

export default defineRule({
  id: 'delegation.chain_too_deep',
  version: '1.0.0',
  category: 'delegation',
  severity: 'medium',
  riskScore: 60,
  name: 'Delegation chain deeper than allowed',
  description:
    'A delegation chain has more agents than the smallest max_depth declared by the agents on it. Deep chains dilute accountability and let authority travel further than anyone approved.',
  tags: ['owasp-agentic:ASI03', 'owasp-agentic:ASI07', 'owasp-agentic:ASI08'],
  kinds: ['tool_call', 'token_issued', 'policy_decision'],
  dedupWindowMs: 3_600_000,
  falsePositives: ['A person missing from the registry counted as an agent (add them under people)'],
  knownGaps: ['Agents on the chain without max_depth do not limit it'],
  evaluate(event, ctx) {
    const chain = event.delegation_chain;
    if (!chain || chain.length < 2) return null;
    const agents = chainAgents(chain, (el) => ctx.registry.isPerson(el, event.on_behalf_of));
    let limit = Number.POSITIVE_INFINITY;
    let limitedBy = '';
    for (const id of agents) {
      const depth = ctx.registry.agent(id)?.maxDepth;
      if (depth != null && depth < limit) {
        limit = depth;
        limitedBy = id;
      }
    }
    if (agents.length <= limit) return null;
    return {
      dedupKey: agents.join('>'),
      severity: agents.length > limit + 1 ? 'high' : 'medium',
      riskScore: agents.length > limit + 1 ? 70 : 60,
      title: `Delegation chain of ${agents.length} agents reached ${shortName(event.agent_id)}; ${shortName(limitedBy)} allows at most ${limit}`,
      summary: `${event.agent_id} acted through the chain ${list(chain.map(shortName), 10)} (${agents.length} agents). The smallest max_depth on the chain is ${limit}, declared by ${limitedBy}.`,
      evidence: { delegation_chain: chain, agent_depth: agents.length, max_depth: limit, limited_by: limitedBy },
    };
  },
});
