import { defineRule } from '../../../src/engine/types.ts';
import { usedTokenId, wasAccepted } from '../../../src/rule-helpers.ts';
import { shortName } from '../../../src/text.ts';

export default defineRule({
  id: 'credential.token_used_after_revocation',
  version: '1.0.0',
  category: 'credential',
  severity: 'high',
  riskScore: 85,
  name: 'Token used after revocation',
  description: 'A credential was presented after it was revoked. Revocation did not propagate, or someone kept a copy of a token that was deliberately killed.',
  tags: ['owasp-nhi:NHI2', 'owasp-agentic:ASI03', 'mitre-attack:T1550.001'],
  kinds: ['tool_call', 'policy_decision'],
  dedupWindowMs: 3_600_000,
  tokenDependent: true,
  recheckOnRevocation: true,
  falsePositives: ['Calls in flight at the moment of revocation (a use in the same second as the revocation is tolerated)'],
  knownGaps: ['Revocations of tokens never seen issued are not tracked'],
  evaluate(event, ctx) {
    const tokenId = usedTokenId(event);
    if (tokenId === undefined) return null;
    const t = ctx.tokens.get(tokenId);
    if (!t || t.revokedMs === null || ctx.nowMs - t.revokedMs < 1000) return null;
    const accepted = wasAccepted(event);
    return {
      dedupKey: tokenId,
      severity: accepted ? 'critical' : 'high',
      riskScore: accepted ? 90 : 70,
      relatedEventIds: [t.eventId],
      title: `${shortName(event.agent_id)} used token ${tokenId} after it was revoked`,
      summary: `Token ${tokenId} (issued to ${t.agentId} by ${t.issuer}) was revoked at ${new Date(t.revokedMs).toISOString()}, yet it was presented at ${event.time}${event.kind === 'tool_call' ? ` to call ${event.tool}, outcome ${event.outcome}` : ''}.${accepted ? ' The call was accepted: revocation is not enforced where it was used.' : ''}`,
      evidence: { token_id: tokenId, revoked_at: new Date(t.revokedMs).toISOString(), accepted, issued_to: t.agentId },
    };
  },
});
