import { defineRule } from '../../../src/engine/types.ts';
import { shortName } from '../../../src/text.ts';

export default defineRule({
  id: 'runtime.high_consequence_without_approval',
  version: '1.0.0',
  category: 'runtime',
  severity: 'high',
  riskScore: 80,
  name: 'High-consequence tool called without approval',
  description:
    'An agent called one of its declared high_consequence_tools without a recorded human approval. These calls (payments, deletions, permission changes) must have a human in the loop.',
  tags: ['owasp-agentic:ASI02', 'owasp-agentic:ASI09', 'mitre-atlas:AML.T0053'],
  kinds: ['tool_call'],
  appliesTo: (agent) => agent?.highConsequenceTools != null,
  dedupWindowMs: 3_600_000,
  falsePositives: ['Approvals recorded in a system that does not feed agentwatch'],
  knownGaps: ['Only tools the registry lists as high-consequence are checked; see runtime.untrusted_context_high_consequence for action-based checks'],
  evaluate(event, ctx) {
    if (event.kind !== 'tool_call' || event.approval) return null;
    const hc = ctx.agent?.highConsequenceTools;
    if (!hc?.matches(event.tool)) return null;
    const done = event.outcome === 'success';
    return {
      dedupKey: event.tool,
      severity: done ? 'high' : 'medium',
      riskScore: done ? 80 : 55,
      title: `${shortName(event.agent_id)} called high-consequence tool ${event.tool} without approval`,
      summary: `${event.tool} is listed among the high-consequence tools of ${ctx.agent!.entry.name} (${event.agent_id}); each call needs a human approval. This call${event.resource ? ` on ${event.resource}` : ''} carried none (outcome ${event.outcome}${event.on_behalf_of ? `, on behalf of ${event.on_behalf_of}` : ''}).`,
      evidence: {
        tool: event.tool,
        high_consequence_tools: hc.patterns,
        outcome: event.outcome,
        resource: event.resource ?? null,
        context_trust: event.context_trust ?? null,
      },
    };
  },
});
