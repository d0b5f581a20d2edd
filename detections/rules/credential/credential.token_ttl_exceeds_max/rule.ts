import { formatDuration } from '@agentwatch/schemas';
import { defineRule } from '../../../src/engine/types.ts';
import { shortName } from '../../../src/text.ts';

export default defineRule({
  id: 'credential.token_ttl_exceeds_max',
  version: '1.0.0',
  category: 'credential',
  severity: 'medium',
  riskScore: 55,
  name: 'Token lifetime above the agent maximum',
  description:
    "A credential was issued with a lifetime (expires_at - time) longer than the agent's declared max_token_ttl. Long-lived agent credentials outlive their task and widen the window for theft and reuse.",
  tags: ['owasp-nhi:NHI7', 'owasp-agentic:ASI03', 'mitre-attack:T1528'],
  kinds: ['token_issued'],
  appliesTo: (agent) => agent?.maxTokenTtlMs != null,
  dedupWindowMs: 3_600_000,
  falsePositives: ['Issuers that round TTLs up (a few seconds over are tolerated by the configured clock skew)'],
  knownGaps: ['Agents without max_token_ttl are not checked'],
  evaluate(event, ctx) {
    if (event.kind !== 'token_issued') return null;
    const max = ctx.agent?.maxTokenTtlMs;
    if (max === null || max === undefined) return null;
    const ttl = Date.parse(event.expires_at) - ctx.nowMs;
    if (ttl <= max + ctx.limits.clockSkewMs) return null;
    const ratio = ttl / max;
    return {
      dedupKey: 'ttl',
      severity: ratio >= 24 ? 'high' : 'medium',
      riskScore: ratio >= 24 ? 70 : 55,
      title: `${shortName(event.agent_id)} was issued token ${event.token_id} valid for ${formatDuration(ttl)}, above its maximum of ${formatDuration(max)}`,
      summary: `${event.issuer} issued ${event.token_id} to ${event.agent_id} at ${event.time}, expiring ${event.expires_at}: a lifetime of ${formatDuration(ttl)}, ${ratio.toFixed(1)}x the declared max_token_ttl of ${ctx.agent!.entry.scope.max_token_ttl}.`,
      evidence: {
        token_id: event.token_id,
        issuer: event.issuer,
        ttl_ms: ttl,
        max_token_ttl: ctx.agent!.entry.scope.max_token_ttl,
        expires_at: event.expires_at,
      },
    };
  },
});
