import { defineRule } from '../../../src/engine/types.ts';
import { list, shortName } from '../../../src/text.ts';

export default defineRule({
  id: 'scope.environment_outside_registry',
  version: '1.0.0',
  category: 'scope_drift',
  severity: 'medium',
  riskScore: 55,
  name: 'Environment outside declared scope',
  description:
    'An agent acted in an environment (prod, staging...) its registry entry does not list: a staging agent reaching production, or production credentials used from elsewhere.',
  tags: ['owasp-nhi:NHI8', 'owasp-agentic:ASI03'],
  kinds: ['tool_call', 'token_issued', 'policy_decision'],
  appliesTo: (agent) => agent?.environments != null,
  dedupWindowMs: 3_600_000,
  falsePositives: ['Environments named inconsistently across telemetry sources (prod vs production)'],
  knownGaps: ['Events without an environment field cannot be checked'],
  evaluate(event, ctx) {
    if (event.environment === undefined) return null;
    const allowed = ctx.agent?.environments;
    if (!allowed || allowed.has(event.environment)) return null;
    const into = event.environment === 'prod' || event.environment === 'production';
    return {
      dedupKey: event.environment,
      severity: into ? 'high' : 'medium',
      riskScore: into ? 70 : 55,
      describe: () => ({
        title: `${shortName(event.agent_id)} acted in ${event.environment}, outside its declared environments ${list([...allowed])}`,
        summary: `${ctx.agent!.entry.name} (${event.agent_id}) is registered for ${list([...allowed])} only, but a ${event.kind.replace('_', ' ')} came from ${event.environment}${event.kind === 'tool_call' ? ` (${event.tool})` : ''}.`,
        evidence: { environment: event.environment, declared_environments: [...allowed] },
      }),
    };
  },
});
