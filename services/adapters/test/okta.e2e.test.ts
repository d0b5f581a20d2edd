import { BUILTIN_RULES, loadRegistryOrThrow, runEvents } from '@agentwatch/detections';
import type { CanonicalEvent } from '@agentwatch/schemas';
import { describe, expect, it } from 'vitest';
import { createOktaAdapter } from '../src/okta/index.ts';
import { grantEvent, sampleEvents } from './okta-fixtures.ts';

/** Source records -> adapter -> every builtin rule, as `agentwatch replay --input-format okta` would. */
function detect(records: unknown[]) {
  const results = records.map((r) => createOktaAdapter().map(r));
  for (const r of results) expect(r.rejects).toEqual([]);
  const events: CanonicalEvent[] = results.flatMap((r) => r.events);
  const alerts = runEvents({ rules: BUILTIN_RULES, registry: loadRegistryOrThrow(REGISTRY, 'test'), events });
  return { events, alerts, ruleIds: [...new Set(alerts.map((a) => a.rule_id))].sort() };
}

/** The invoice bot is an Okta service app (its client id is its agent id), allowed invoice scopes for at most an hour. */
const REGISTRY = `
people:
  - { id: alice@corp.example, status: active }
agents:
  - id: 0oa1invoicebot000001
    name: Invoice reconciliation bot
    owner: alice@corp.example
    status: active
    purpose: Match supplier invoices against purchase orders
    registered_at: 2026-10-01
    last_reviewed: 2026-10-15
    scope:
      token_scopes: ["invoices.read", "invoices.write"]
      max_token_ttl: 1h
`;
const BOT = '0oa1invoicebot000001';
const at = (minute: number) => `2026-11-02T09:${String(minute).padStart(2, '0')}:00.000Z`;

describe('okta end to end: System Log events through the builtin rules', () => {
  it('a token grant to a client id not in the registry raises registry.unregistered_agent', () => {
    const { alerts } = detect([grantEvent({ uuid: 'g-shadow', published: at(0), clientId: '0oa1shadowbot0000001', expires: at(30) })]);
    expect(alerts.map((a) => [a.rule_id, a.agent_id])).toEqual([['registry.unregistered_agent', '0oa1shadowbot0000001']]);
  });

  it("a grant with a scope outside the agent's token_scopes raises scope.token_scope_outside_registry", () => {
    const { alerts } = detect([grantEvent({ uuid: 'g-wide', published: at(0), clientId: BOT, scopes: 'invoices.read okta.users.manage', expires: at(30) })]);
    expect(alerts.map((a) => [a.rule_id, a.agent_id])).toEqual([['scope.token_scope_outside_registry', BOT]]);
    expect(alerts[0]?.evidence['undeclared_scopes']).toEqual(['okta.users.manage']);
  });

  it('a refused grant gives a policy_decision deny (a registered client: no registry alert)', () => {
    const { events, ruleIds } = detect([
      grantEvent({ uuid: 'g-refused', published: at(0), clientId: BOT, result: 'FAILURE', reason: 'no_matching_policy', scopes: 'payments.transfer' }),
    ]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'policy_decision', decision: 'deny', agent_id: BOT, event_id: 'okta:g-refused' });
    expect(ruleIds).toEqual([]);
  });

  it('a grant without an expiry gets the default one-hour lifetime, which a registry cap below it flags', () => {
    const grant = grantEvent({ uuid: 'g-ttl', published: at(0), clientId: BOT });
    const target = grant['target'] as { detailEntry: Record<string, unknown> }[];
    delete target[0]?.detailEntry['expires'];
    const strict = REGISTRY.replace('max_token_ttl: 1h', 'max_token_ttl: 15m');
    const events = [createOktaAdapter().map(grant).events[0] as CanonicalEvent];
    const alerts = runEvents({ rules: BUILTIN_RULES, registry: loadRegistryOrThrow(strict, 'test'), events });
    expect(alerts.map((a) => a.rule_id)).toEqual(['credential.token_ttl_exceeds_max']);
  });

  it('benign: declared scopes to the registered client, with the real sample events around it, raise nothing', () => {
    const { events, ruleIds } = detect([
      ...sampleEvents(),
      grantEvent({ uuid: 'g-ok', published: at(0), clientId: BOT, scopes: 'invoices.read, invoices.write', expires: at(30) }),
    ]);
    expect(events.map((e) => e.kind)).toEqual(['token_issued']);
    expect(ruleIds).toEqual([]);
  });
});
