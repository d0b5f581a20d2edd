import { defineRule, type Finding, type RuleContext } from '../../../src/engine/types.ts';
import { list, shortName } from '../../../src/text.ts';

function check(from: string, to: string, ctx: RuleContext<unknown>, via: string, evidence: Record<string, unknown>): Finding | null {
  const delegator = ctx.registry.agent(from);
  if (!delegator || from === to || delegator.mayDelegateTo.matches(to)) return null;
  const allowed = delegator.mayDelegateTo.patterns;
  return {
    dedupKey: `${from}>${to}`,
    title: `${shortName(from)} delegated to ${shortName(to)}, which is not in its may_delegate_to`,
    summary: `${delegator.entry.name} (${from}) handed work to ${to} ${via}. ${allowed.length ? `It may delegate only to ${list(allowed.map(shortName), 8)}.` : 'Its registry entry declares no delegation, so it may not delegate at all.'}`,
    evidence: { delegator: from, delegate: to, may_delegate_to: allowed, ...evidence },
  };
}

export default defineRule({
  id: 'delegation.unauthorized_delegate',
  version: '1.0.0',
  category: 'delegation',
  severity: 'high',
  riskScore: 70,
  name: 'Delegation to an agent not allowed',
  description:
    'An agent handed work (a hop in a delegation_chain, or a token exchange of its token) to an agent outside its may_delegate_to. Delegation is deny-by-default: no delegation block means no delegation.',
  tags: ['owasp-agentic:ASI03', 'owasp-agentic:ASI07', 'mitre-attack:T1550.001'],
  kinds: ['tool_call', 'token_issued', 'policy_decision'],
  dedupWindowMs: 3_600_000,
  falsePositives: ['New delegation paths deployed before the registry is updated'],
  knownGaps: ['Hops from or to unregistered agents are left to the out-of-registry rules'],
  // The token-exchange hop needs the parent token's owner, which can arrive late (issued on another partition): the
  // engine runs the rule again then, and only that hop is new.
  tokenDependent: true,
  evaluate(event, ctx) {
    const chain = event.delegation_chain;
    const exchange = event.kind === 'token_issued' && event.parent_token_id !== undefined;
    if ((!chain || chain.length < 2) && !exchange) return null;
    const findings: Finding[] = [];
    if (chain && chain.length >= 2) {
      for (let i = 0; i < chain.length - 1; i++) {
        const from = chain[i] as string;
        const to = chain[i + 1] as string;
        if (ctx.registry.isPerson(from, event.on_behalf_of) || ctx.registry.isPerson(to, event.on_behalf_of)) continue;
        if (!ctx.registry.agent(to)) continue;
        const f = check(from, to, ctx, `in the delegation chain ${list(chain.map(shortName), 10)}`, { delegation_chain: chain });
        if (f) findings.push(f);
      }
    }
    // On a recheck the chain hops were reported when the event was first seen: only the exchange hop can be new
    // (and not if a chain hop already reported the same delegator and delegate for this event).
    const reported = new Set(findings.map((f) => f.dedupKey));
    if (ctx.recheck) findings.length = 0;
    if (event.kind === 'token_issued' && event.parent_token_id) {
      const parent = ctx.tokens.get(event.parent_token_id);
      if (parent && parent.agentId !== event.agent_id && ctx.registry.agent(event.agent_id)) {
        const f = check(parent.agentId, event.agent_id, ctx, `by exchanging its token ${event.parent_token_id} for ${event.token_id}`, {
          parent_token_id: event.parent_token_id,
          token_id: event.token_id,
        });
        if (f && !reported.has(f.dedupKey)) findings.push({ ...f, relatedEventIds: [parent.eventId] });
      }
    }
    return findings;
  },
});
