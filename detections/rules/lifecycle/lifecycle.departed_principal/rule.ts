import { defineRule } from '../../../src/engine/types.ts';
import { actionPhrase } from '../../../src/rule-helpers.ts';
import { shortName } from '../../../src/text.ts';

export default defineRule({
  id: 'lifecycle.departed_principal',
  version: '1.0.0',
  category: 'lifecycle',
  severity: 'medium',
  riskScore: 65,
  name: 'Agent acting for a departed person',
  description:
    "An agent acts on behalf of, or through a delegation chain starting at, a person the registry marks departed: a leaver's delegated authority is still in use.",
  tags: ['owasp-nhi:NHI1', 'owasp-nhi:NHI10', 'owasp-agentic:ASI03', 'mitre-attack:T1078'],
  kinds: ['tool_call', 'token_issued', 'policy_decision'],
  dedupWindowMs: 86_400_000,
  falsePositives: ['Scheduled jobs set up by a leaver and knowingly kept running'],
  knownGaps: ['People not listed in the registry are not checked'],
  evaluate(event, ctx) {
    if (event.on_behalf_of === undefined && event.delegation_chain === undefined) return null;
    const candidates = new Set<string>();
    if (event.on_behalf_of) candidates.add(event.on_behalf_of);
    for (const el of event.delegation_chain ?? []) if (ctx.registry.person(el)) candidates.add(el);
    for (const who of candidates) {
      const person = ctx.registry.person(who);
      if (person?.status !== 'departed') continue;
      return {
        dedupKey: person.id,
        describe: () => ({
          title: `${shortName(event.agent_id)} ${actionPhrase(event)} on behalf of departed ${person.id}`,
          summary: `${event.agent_id} ${actionPhrase(event)} with authority delegated by ${person.id}, who is marked departed in the registry. A leaver's delegations should have been revoked at offboarding.`,
          evidence: {
            principal: person.id,
            principal_status: 'departed',
            delegation_chain: event.delegation_chain ?? null,
            on_behalf_of: event.on_behalf_of ?? null,
          },
        }),
      };
    }
    return null;
  },
});
