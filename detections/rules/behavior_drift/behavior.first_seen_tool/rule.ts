import { MAX_DISTINCT } from '../../../src/baseline/agent-baseline.ts';
import { defineRule } from '../../../src/engine/types.ts';
import { baselineEvidence, baselineWarm } from '../../../src/rule-helpers.ts';
import { list, shortName } from '../../../src/text.ts';

export default defineRule({
  id: 'behavior.first_seen_tool',
  version: '1.0.0',
  category: 'behavior_drift',
  severity: 'low',
  riskScore: 35,
  name: 'First use of a tool after the learning period',
  description:
    'After its learning period, an agent called a tool it had never called before. Agents are narrow; a new capability is either a release or a manipulated agent exploring. Raised even when the tool is in the declared scope (scope rules cover the rest).',
  tags: ['owasp-agentic:ASI01', 'owasp-agentic:ASI02', 'mitre-atlas:AML.T0053'],
  kinds: ['tool_call'],
  dedupWindowMs: 86_400_000,
  falsePositives: ['New releases of the agent that add tools'],
  knownGaps: [`Stops after ${MAX_DISTINCT} distinct tools per agent`],
  evaluate(event, ctx) {
    if (event.kind !== 'tool_call') return null;
    const b = ctx.baseline;
    if (b.toolCount >= MAX_DISTINCT || Object.hasOwn(b.tools, event.tool) || !baselineWarm(ctx)) return null;
    const known = Object.keys(b.tools);
    const inScope = ctx.agent?.tools ? ctx.agent.tools.matches(event.tool) : null;
    return {
      dedupKey: event.tool,
      severity: event.outcome === 'success' && inScope === false ? 'medium' : 'low',
      title: `${shortName(event.agent_id)} used ${event.tool} for the first time`,
      summary: `In ${b.activeDays} active days since ${new Date(b.firstSeenMs).toISOString().slice(0, 10)} (${b.totalEvents} events), ${event.agent_id} used ${known.length} tools: ${list(known.sort(), 10)}. It has now called ${event.tool}${event.resource ? ` on ${event.resource}` : ''} (outcome ${event.outcome})${inScope === null ? '' : inScope ? ', which its declared scope allows' : ', which is also outside its declared scope'}.`,
      evidence: { tool: event.tool, known_tools: known.slice(0, 50), in_declared_scope: inScope, ...baselineEvidence(ctx) },
    };
  },
});
