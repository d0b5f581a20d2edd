import { defineRule } from '../../../src/engine/types.ts';
import { actionPhrase } from '../../../src/rule-helpers.ts';
import { shortName } from '../../../src/text.ts';

export default defineRule({
  id: 'lifecycle.inactive_agent_active',
  version: '1.0.0',
  category: 'lifecycle',
  severity: 'high',
  riskScore: 85,
  name: 'Retired or suspended agent acting',
  description:
    'An agent whose registry status is retired or suspended is still calling tools or receiving credentials: its deprovisioning failed, or someone is using its identity.',
  tags: ['owasp-nhi:NHI1', 'owasp-agentic:ASI10', 'mitre-attack:T1078'],
  kinds: ['tool_call', 'token_issued', 'policy_decision'],
  appliesTo: (agent) => agent?.entry.status === 'retired' || agent?.entry.status === 'suspended',
  dedupWindowMs: 86_400_000,
  falsePositives: ['Registry updated before a planned shutdown completed'],
  knownGaps: ['Revocation events of a retired agent are not findings (cleaning up is what should happen)'],
  evaluate(event, ctx) {
    const status = ctx.agent?.entry.status;
    if (status !== 'retired' && status !== 'suspended') return null;
    const entry = ctx.agent!.entry;
    const denied = (event.kind === 'tool_call' && event.outcome === 'denied') || (event.kind === 'policy_decision' && event.decision === 'deny');
    return {
      dedupKey: status,
      severity: status === 'retired' && !denied ? 'critical' : 'high',
      riskScore: status === 'retired' ? 90 : 80,
      describe: () => ({
        title: `${status === 'retired' ? 'Retired' : 'Suspended'} agent ${shortName(event.agent_id)} ${actionPhrase(event)}`,
        summary: `${entry.name} (${event.agent_id}) is ${status} in the registry${entry.last_reviewed ? ` (last reviewed ${entry.last_reviewed})` : ''}, but it ${actionPhrase(event)}${denied ? ', which was denied' : ''}. A ${status} agent must hold no credentials and make no calls; revoke its credentials and find what is still running it. Owner: ${entry.owner}.`,
        evidence: { registry_status: status, registry_entry: { name: entry.name, owner: entry.owner, purpose: entry.purpose } },
      }),
    };
  },
});
