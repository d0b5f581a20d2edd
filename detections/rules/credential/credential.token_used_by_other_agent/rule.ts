import { defineRule } from '../../../src/engine/types.ts';
import { usedTokenId } from '../../../src/rule-helpers.ts';
import { shortName } from '../../../src/text.ts';

export default defineRule({
  id: 'credential.token_used_by_other_agent',
  version: '1.0.0',
  category: 'credential',
  severity: 'high',
  riskScore: 80,
  name: 'Token used by an agent it was not issued to',
  description:
    'A credential issued to one agent was presented by another. Agent credentials are bound to their subject; reuse means theft, leakage through shared context, or credential forwarding instead of a proper token exchange.',
  tags: ['owasp-nhi:NHI2', 'owasp-nhi:NHI9', 'owasp-agentic:ASI03', 'mitre-attack:T1550.001', 'mitre-attack:T1528'],
  kinds: ['tool_call', 'policy_decision'],
  dedupWindowMs: 3_600_000,
  tokenDependent: true,
  falsePositives: ['Telemetry that attributes calls to the wrong agent id (check the source mapping)'],
  knownGaps: ['Tokens issued before the stream began, or forgotten after their grace period, are unknown and not checked'],
  evaluate(event, ctx) {
    const tokenId = usedTokenId(event);
    if (tokenId === undefined) return null;
    const t = ctx.tokens.get(tokenId);
    if (!t || t.agentId === event.agent_id) return null;
    return {
      dedupKey: tokenId,
      relatedEventIds: [t.eventId],
      title: `${shortName(event.agent_id)} used token ${tokenId}, which was issued to ${shortName(t.agentId)}`,
      summary: `Token ${tokenId} was issued by ${t.issuer} to ${t.agentId} at ${new Date(t.issuedMs).toISOString()} (scopes ${t.scopes.join(', ') || 'none'}), but ${event.agent_id} presented it${event.kind === 'tool_call' ? ` to call ${event.tool}` : ''}. Credentials must not move between agents; delegated work needs a token exchange.`,
      evidence: { token_id: tokenId, issued_to: t.agentId, used_by: event.agent_id, issuer: t.issuer, scopes: t.scopes, issued_event_id: t.eventId },
    };
  },
});
