import { resourceFamily } from '../../../src/baseline/agent-baseline.ts';
import { defineRule } from '../../../src/engine/types.ts';
import { list, shortName } from '../../../src/text.ts';

export default defineRule({
  id: 'scope.resource_outside_registry',
  version: '1.0.0',
  category: 'scope_drift',
  severity: 'medium',
  riskScore: 60,
  name: 'Resource outside declared scope',
  description:
    'An agent touched a resource outside its declared resources (globs; `*` within a path segment, `**` across). Folded per resource family (scheme and first segment) so a sweep over many records is one alert.',
  tags: ['owasp-nhi:NHI5', 'owasp-agentic:ASI02', 'owasp-agentic:ASI03', 'mitre-attack:T1530'],
  kinds: ['tool_call'],
  appliesTo: (agent) => agent?.resources != null,
  dedupWindowMs: 3_600_000,
  falsePositives: ['New storage locations not yet added to the registry'],
  knownGaps: ['Calls without a resource field cannot be checked'],
  evaluate(event, ctx) {
    if (event.kind !== 'tool_call' || event.resource === undefined) return null;
    const resource = event.resource;
    const allowed = ctx.agent?.resources;
    if (!allowed || allowed.matches(resource)) return null;
    const denied = event.outcome === 'denied';
    return {
      dedupKey: resourceFamily(resource),
      severity: denied ? 'low' : 'medium',
      riskScore: denied ? 35 : 60,
      describe: () => ({
        title: `${shortName(event.agent_id)} accessed ${resource}, outside its declared resources ${list(allowed.patterns)}`,
        summary: `${ctx.agent!.entry.name} (${event.agent_id}) may touch ${list(allowed.patterns, 12)}. It called ${event.tool} on ${resource} (outcome ${event.outcome}).`,
        evidence: { resource, resource_family: resourceFamily(resource), declared_resources: allowed.patterns, tool: event.tool },
      }),
    };
  },
});
