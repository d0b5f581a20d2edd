import { defineRule } from '../../../src/engine/types.ts';
import { list, shortName } from '../../../src/text.ts';

export default defineRule({
  id: 'scope.token_scope_outside_registry',
  version: '1.0.0',
  category: 'scope_drift',
  severity: 'medium',
  riskScore: 60,
  name: 'Token scope outside declared scope',
  description:
    'A credential was issued to an agent with scopes (OAuth scopes, Vault policies, IAM permissions) beyond its declared token_scopes: the issuer grants more than the registry says the agent needs.',
  tags: ['owasp-nhi:NHI5', 'owasp-agentic:ASI03', 'mitre-attack:T1098'],
  kinds: ['token_issued'],
  appliesTo: (agent) => agent?.tokenScopes != null,
  dedupWindowMs: 3_600_000,
  falsePositives: ['Default scopes an IdP always adds (e.g. openid) when not declared'],
  knownGaps: ['Scope implication (admin implies read) is not modelled; scopes match by glob only'],
  evaluate(event, ctx) {
    if (event.kind !== 'token_issued') return null;
    const allowed = ctx.agent?.tokenScopes;
    if (!allowed) return null;
    const extra = event.scopes.filter((s) => !allowed.matches(s));
    if (extra.length === 0) return null;
    const admin = extra.some((s) => /admin|\*|root|write/i.test(s));
    return {
      dedupKey: [...extra].sort().join(' '),
      severity: admin ? 'high' : 'medium',
      riskScore: admin ? 70 : 60,
      title: `${shortName(event.agent_id)} was issued token ${event.token_id} with scopes ${list(extra)} outside its declared token scopes`,
      summary: `${event.issuer} issued ${event.token_id} to ${event.agent_id} with scopes ${list(event.scopes, 12)}; the registry allows ${list(allowed.patterns, 12)}. Not allowed: ${list(extra, 12)}.`,
      evidence: {
        token_id: event.token_id,
        issuer: event.issuer,
        granted_scopes: event.scopes,
        undeclared_scopes: extra,
        declared_token_scopes: allowed.patterns,
      },
    };
  },
});
