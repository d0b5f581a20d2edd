import { defineRule } from '../../../src/engine/types.ts';
import { shortName } from '../../../src/text.ts';

export default defineRule({
  id: 'runtime.untrusted_context_high_consequence',
  version: '1.0.0',
  category: 'runtime',
  severity: 'critical',
  riskScore: 90,
  name: 'High-consequence call driven by untrusted context',
  description:
    'A high-consequence call (a declared high_consequence_tool, or a configured high-consequence action such as transfer, delete, admin) was made while the agent was working from untrusted content (retrieved documents, email, web): the signature of indirect prompt injection.',
  tags: ['owasp-agentic:ASI01', 'owasp-agentic:ASI02', 'mitre-atlas:AML.T0051.001', 'mitre-atlas:AML.T0053'],
  kinds: ['tool_call'],
  dedupWindowMs: 3_600_000,
  falsePositives: ['Agents whose job is to act on inbound email (mark their flows trusted after sanitising)'],
  knownGaps: ['Relies on the agent runtime reporting context_trust'],
  evaluate(event, ctx) {
    if (event.kind !== 'tool_call' || event.context_trust !== 'untrusted') return null;
    const byTool = ctx.agent?.highConsequenceTools?.matches(event.tool) ?? false;
    const byAction = event.action !== undefined && ctx.config.high_consequence_actions.includes(event.action);
    if (!byTool && !byAction) return null;
    const stopped = event.outcome === 'denied';
    const why = byTool ? `${event.tool} is a declared high-consequence tool` : `${event.action} is a high-consequence action`;
    return {
      dedupKey: event.tool,
      severity: stopped ? 'high' : 'critical',
      riskScore: stopped ? 70 : event.approval ? 80 : 95,
      title: `${shortName(event.agent_id)} called ${event.tool} while acting on untrusted content (possible prompt injection)`,
      summary: `${event.agent_id} called ${event.tool}${event.resource ? ` on ${event.resource}` : ''} with context_trust=untrusted: content it retrieved may have steered it. ${why}. Approval: ${event.approval ? `given by ${event.approval.by}` : 'none'}; outcome ${event.outcome}.`,
      evidence: {
        tool: event.tool,
        action: event.action ?? null,
        context_trust: 'untrusted',
        approval: event.approval ?? null,
        outcome: event.outcome,
        session_id: event.session_id ?? null,
      },
    };
  },
});
