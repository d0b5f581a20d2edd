// One suppression and events whose alerts match it or miss it by one field each, shared by the replay and the live
// (`up`) end-to-end tests of suppressions (alerts.md "Suppressions": never hides an alert outside its match).
import type { Alert, CanonicalEvent, SuppressionMatch } from '@agentwatch/schemas';

const agent = (name: string): string => `spiffe://corp.example/agents/${name}`;
const NAMES = ['invoice-bot', 'invoicebot', 'invoice-bot-2', 'invoice-bot-3', 'invoice-bot-4', 'invoice-bot-5'];

/** Every agent above, registered with the one tool erp.invoice.read: any other tool raises scope.tool_outside_registry. */
export const NEAR_MISS_REGISTRY = `people:
  - { id: alice@corp.example, status: active }
agents:
${NAMES.map(
  (n) => `  - id: ${agent(n)}
    name: ${n}
    owner: alice@corp.example
    status: active
    purpose: reads invoices
    registered_at: 2026-01-10
    last_reviewed: 2026-10-01
    scope:
      tools: ["erp.invoice.read"]
`,
).join('')}`;

/** Every field given. */
export const NEAR_MISS_MATCH: SuppressionMatch = {
  rule_id: 'scope.tool_outside_registry',
  agent_id: 'spiffe://corp.example/agents/invoice-*',
  tool: 'erp.vendor.*',
  resource: 'erp://vendors/**',
  category: 'scope_drift',
};

export interface NearMiss {
  /** What differs from the match (or 'matches'). */
  what: string;
  agent_id: string;
  rule_id: string;
  event: CanonicalEvent;
  suppressed: boolean;
}

/**
 * One event per case, each raising its own alert (its own agent or rule). `atMs`: when the events happen; with
 * `expiresMs`, two more around that expiry (event time): 1 ms before (suppressed) and at it (not).
 */
export function nearMisses(atMs: number, expiresMs?: number): NearMiss[] {
  const call = (id: string, name: string, tool: string, resource: string, ms = atMs): CanonicalEvent => ({
    kind: 'tool_call',
    event_id: `nm-${id}`,
    time: new Date(ms).toISOString(),
    agent_id: agent(name),
    tool,
    resource,
    action: 'delete',
    outcome: 'success',
  });
  const scope = 'scope.tool_outside_registry';
  const cases: NearMiss[] = [
    {
      what: 'matches',
      agent_id: agent('invoice-bot'),
      rule_id: scope,
      event: call('match', 'invoice-bot', 'erp.vendor.delete', 'erp://vendors/7'),
      suppressed: true,
    },
    {
      what: 'agent glob misses by one character',
      agent_id: agent('invoicebot'),
      rule_id: scope,
      event: call('agent', 'invoicebot', 'erp.vendor.delete', 'erp://vendors/7'),
      suppressed: false,
    },
    {
      what: 'tool glob misses',
      agent_id: agent('invoice-bot-2'),
      rule_id: scope,
      event: call('tool', 'invoice-bot-2', 'erp.vendorx.delete', 'erp://vendors/7'),
      suppressed: false,
    },
    {
      what: 'resource glob misses',
      agent_id: agent('invoice-bot-3'),
      rule_id: scope,
      event: call('resource', 'invoice-bot-3', 'erp.vendor.delete', 'erp://vendor/7'),
      suppressed: false,
    },
    {
      what: 'rule_id and category differ (an unregistered agent the agent glob matches)',
      agent_id: agent('invoice-ghost'),
      rule_id: 'registry.unregistered_agent',
      event: call('rule', 'invoice-ghost', 'erp.vendor.delete', 'erp://vendors/7'),
      suppressed: false,
    },
  ];
  if (expiresMs !== undefined) {
    cases.push(
      {
        what: 'just before the expiry',
        agent_id: agent('invoice-bot-5'),
        rule_id: scope,
        event: call('before', 'invoice-bot-5', 'erp.vendor.delete', 'erp://vendors/7', expiresMs - 1),
        suppressed: true,
      },
      {
        what: 'at the expiry',
        agent_id: agent('invoice-bot-4'),
        rule_id: scope,
        event: call('after', 'invoice-bot-4', 'erp.vendor.delete', 'erp://vendors/7', expiresMs),
        suppressed: false,
      },
    );
  }
  return cases;
}

/** The alert of a case among `alerts` (its rule, its agent). */
export const alertOf = (alerts: readonly Alert[], c: NearMiss): Alert | undefined => alerts.find((a) => a.rule_id === c.rule_id && a.agent_id === c.agent_id);
