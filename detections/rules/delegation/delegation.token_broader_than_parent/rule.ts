import { formatDuration } from '@agentwatch/schemas';
import { defineRule } from '../../../src/engine/types.ts';
import { PatternSet } from '../../../src/registry/glob.ts';
import { list, shortName } from '../../../src/text.ts';

export default defineRule({
  id: 'delegation.token_broader_than_parent',
  version: '1.0.0',
  category: 'delegation',
  severity: 'high',
  riskScore: 75,
  name: 'Delegated token broader than its parent',
  description:
    'A token obtained by exchange (parent_token_id) carries scopes its parent did not have, or outlives its parent. Delegation must only narrow authority; widening it is privilege escalation through the exchange.',
  tags: ['owasp-nhi:NHI5', 'owasp-agentic:ASI03', 'mitre-attack:T1134', 'mitre-attack:T1550.001'],
  kinds: ['token_issued'],
  dedupWindowMs: 3_600_000,
  tokenDependent: true,
  falsePositives: ['Issuers that add default scopes (openid, offline_access) on exchange'],
  knownGaps: ['Parents issued before the stream began are unknown and not compared'],
  evaluate(event, ctx) {
    if (event.kind !== 'token_issued' || !event.parent_token_id) return null;
    const parent = ctx.tokens.get(event.parent_token_id);
    if (!parent) return null;
    const parentScopes = new PatternSet(parent.scopes, 'scope');
    const extra = event.scopes.filter((s) => !parentScopes.matches(s));
    const outlivesMs = Date.parse(event.expires_at) - parent.expiresMs;
    const outlives = outlivesMs > 1000;
    if (extra.length === 0 && !outlives) return null;
    const what = [
      extra.length ? `scopes ${list(extra)} its parent lacks` : '',
      outlives ? `a lifetime ${formatDuration(Math.round(outlivesMs / 1000) * 1000)} past its parent's` : '',
    ]
      .filter(Boolean)
      .join(' and ');
    return {
      dedupKey: event.token_id,
      severity: extra.length ? 'high' : 'medium',
      riskScore: extra.length ? 75 : 50,
      relatedEventIds: [parent.eventId],
      title: `Delegated token ${event.token_id} for ${shortName(event.agent_id)} has ${what}`,
      summary: `${event.token_id} was issued to ${event.agent_id} in exchange for ${event.parent_token_id} (held by ${parent.agentId}, scopes ${list(parent.scopes, 10)}, expiring ${new Date(parent.expiresMs).toISOString()}). The new token has scopes ${list(event.scopes, 10)}, expiring ${event.expires_at}. An exchange must not widen authority.`,
      evidence: {
        token_id: event.token_id,
        parent_token_id: event.parent_token_id,
        scopes: event.scopes,
        parent_scopes: parent.scopes,
        extra_scopes: extra,
        outlives_parent_ms: outlives ? outlivesMs : 0,
      },
    };
  },
});
