import { defineRule } from '../../../src/engine/types.ts';
import { list, shortName } from '../../../src/text.ts';

const DESTRUCTIVE = new Set(['delete', 'transfer', 'admin']);

export default defineRule({
  id: 'scope.action_outside_registry',
  version: '1.0.0',
  category: 'scope_drift',
  severity: 'medium',
  riskScore: 55,
  name: 'Action outside declared scope',
  description:
    'An agent performed a kind of action (read, write, delete, transfer, admin...) its registry entry does not allow. Destructive actions (delete, transfer, admin) are high.',
  tags: ['owasp-nhi:NHI5', 'owasp-agentic:ASI02', 'owasp-agentic:ASI03'],
  kinds: ['tool_call'],
  appliesTo: (agent) => agent?.actions != null,
  dedupWindowMs: 3_600_000,
  falsePositives: ['Tools that report a broader action than they perform'],
  knownGaps: ['Calls without an action field cannot be checked'],
  evaluate(event, ctx) {
    if (event.kind !== 'tool_call' || event.action === undefined) return null;
    const allowed = ctx.agent?.actions;
    if (!allowed || allowed.has(event.action)) return null;
    const action = event.action;
    const article = /^[aeiou]/.test(action) ? 'an' : 'a';
    const denied = event.outcome === 'denied';
    const destructive = DESTRUCTIVE.has(event.action);
    return {
      dedupKey: event.action,
      severity: denied ? 'low' : destructive ? 'high' : 'medium',
      riskScore: denied ? 35 : destructive ? 75 : 55,
      describe: () => ({
        title: `${shortName(event.agent_id)} performed ${article} ${action} action (${event.tool}), outside its declared actions ${list([...allowed])}`,
        summary: `${ctx.agent!.entry.name} (${event.agent_id}) is allowed ${list([...allowed])} actions only. It called ${event.tool}${event.resource ? ` on ${event.resource}` : ''} as a ${event.action} (outcome ${event.outcome}).`,
        evidence: { action: event.action, declared_actions: [...allowed], tool: event.tool, resource: event.resource ?? null },
      }),
    };
  },
});
