import { defineRule } from '../../../src/engine/types.ts';
import { list, shortName } from '../../../src/text.ts';

export default defineRule({
  id: 'scope.tool_outside_registry',
  version: '1.0.0',
  category: 'scope_drift',
  severity: 'medium',
  riskScore: 60,
  name: 'Tool outside declared scope',
  description:
    'An agent called a tool that its registry entry does not allow (scope.tools is an allow-list of globs). Either the agent was manipulated into a new capability, or its declared scope is out of date.',
  tags: ['owasp-nhi:NHI5', 'owasp-agentic:ASI02', 'owasp-agentic:ASI03', 'mitre-atlas:AML.T0053'],
  kinds: ['tool_call'],
  appliesTo: (agent) => agent?.tools != null,
  dedupWindowMs: 3_600_000,
  falsePositives: ['A legitimate new feature shipped before the registry scope was updated'],
  knownGaps: ['Agents without a tools list are unrestricted and never match'],
  evaluate(event, ctx) {
    if (event.kind !== 'tool_call') return null;
    const allowed = ctx.agent?.tools;
    if (!allowed || allowed.matches(event.tool)) return null;
    const denied = event.outcome === 'denied';
    const name = shortName(event.agent_id);
    return {
      dedupKey: event.tool,
      severity: denied ? 'low' : 'medium',
      riskScore: denied ? 35 : 60,
      describe: () => ({
        title: `${name} called ${event.tool}, which is outside its declared tools ${list(allowed.patterns)}`,
        summary: `${ctx.agent!.entry.name} (${event.agent_id}) is registered for "${ctx.agent!.entry.purpose}" with tools ${list(allowed.patterns, 12)}. It called ${event.tool}${event.resource ? ` on ${event.resource}` : ''} (outcome ${event.outcome}${denied ? ': the call was stopped, but the attempt is drift' : ''}).`,
        evidence: { tool: event.tool, declared_tools: allowed.patterns, outcome: event.outcome, resource: event.resource ?? null },
      }),
    };
  },
});
