import { formatDuration } from '@agentwatch/schemas';
import { defineRule } from '../../../src/engine/types.ts';
import { usedTokenId, wasAccepted } from '../../../src/rule-helpers.ts';
import { shortName } from '../../../src/text.ts';

export default defineRule({
  id: 'credential.token_used_after_expiry',
  version: '1.0.0',
  category: 'credential',
  severity: 'high',
  riskScore: 75,
  name: 'Token used after expiry',
  description:
    'A credential was presented after its expires_at (beyond the configured clock skew). Either a resource server does not check expiry, or a stolen token is being replayed.',
  tags: ['owasp-nhi:NHI7', 'owasp-agentic:ASI03', 'mitre-attack:T1550.001'],
  kinds: ['tool_call', 'policy_decision'],
  dedupWindowMs: 3_600_000,
  tokenDependent: true,
  falsePositives: ['Clock skew larger than the configured allowance between issuer and the reporting system'],
  knownGaps: ['Uses later than the token grace period after expiry are no longer recognised (the token is forgotten)'],
  evaluate(event, ctx) {
    const tokenId = usedTokenId(event);
    if (tokenId === undefined) return null;
    const t = ctx.tokens.get(tokenId);
    if (!t) return null;
    const late = ctx.nowMs - t.expiresMs;
    if (late <= ctx.limits.clockSkewMs) return null;
    const accepted = wasAccepted(event);
    return {
      dedupKey: tokenId,
      severity: accepted ? 'high' : 'medium',
      riskScore: accepted ? 80 : 55,
      relatedEventIds: [t.eventId],
      title: `${shortName(event.agent_id)} used token ${tokenId} ${formatDuration(Math.round(late / 1000) * 1000)} after it expired`,
      summary: `Token ${tokenId} (issued by ${t.issuer} to ${t.agentId}) expired at ${new Date(t.expiresMs).toISOString()}; it was presented at ${event.time}${event.kind === 'tool_call' ? ` to call ${event.tool}, outcome ${event.outcome}` : ''}.${accepted ? ' The call was accepted: the receiving service does not enforce expiry.' : ''}`,
      evidence: { token_id: tokenId, expired_at: new Date(t.expiresMs).toISOString(), late_ms: late, accepted, issued_to: t.agentId },
    };
  },
});
