import { defineRule } from '../../../src/engine/types.ts';
import { actionPhrase } from '../../../src/rule-helpers.ts';
import { shortName } from '../../../src/text.ts';

export default defineRule({
  id: 'lifecycle.orphaned_agent_active',
  version: '1.0.0',
  category: 'lifecycle',
  severity: 'medium',
  riskScore: 60,
  name: 'Orphaned agent acting',
  description: 'The person accountable for an active agent has departed. Nobody answers for what it does, reviews its scope or notices misuse.',
  tags: ['owasp-nhi:NHI1', 'owasp-agentic:ASI10', 'mitre-attack:T1078'],
  kinds: ['tool_call', 'token_issued', 'policy_decision'],
  appliesTo: (agent) => agent?.ownerDeparted === true && agent.entry.status === 'active',
  dedupWindowMs: 86_400_000,
  falsePositives: ['Ownership transfer agreed but not yet recorded in the registry'],
  knownGaps: ['An owner missing from `people` is not assumed departed'],
  evaluate(event, ctx) {
    const entry = ctx.agent?.entry;
    if (entry?.status !== 'active') return null;
    if (ctx.registry.person(entry.owner)?.status !== 'departed') return null;
    return {
      dedupKey: entry.owner,
      describe: () => ({
        title: `Orphaned agent ${shortName(event.agent_id)} ${actionPhrase(event)}; its owner ${entry.owner} has departed`,
        summary: `${entry.name} (${event.agent_id}) is still active and ${actionPhrase(event)}, but its registered owner ${entry.owner} is marked departed. Assign a new owner and review its scope, or retire it.`,
        evidence: { owner: entry.owner, owner_status: 'departed', team: entry.team ?? null },
      }),
    };
  },
});
