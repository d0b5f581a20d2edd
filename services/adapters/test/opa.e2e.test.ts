import { readFileSync } from 'node:fs';
import { BUILTIN_RULES, loadRegistryOrThrow, runEvents } from '@agentwatch/detections';
import type { CanonicalEvent } from '@agentwatch/schemas';
import { describe, expect, it } from 'vitest';
import { createOpaAdapter } from '../src/opa/index.ts';

const SAMPLES = new URL('../../../../shared/samples/opa-decision-logs/', import.meta.url);
const [OSM_DENY, OSM_ALLOW] = readFileSync(new URL('osm_opa-envoy-plugin_decision-logs.jsonl', SAMPLES), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as Record<string, unknown>) as [Record<string, unknown>, Record<string, unknown>];
const [UPLOAD_ALLOW] = JSON.parse(readFileSync(new URL('opa-docs_decision-log-upload-example.json', SAMPLES), 'utf8')) as [Record<string, unknown>];

const INVOICE_BOT = 'spiffe://corp.example/agents/invoice-bot';
const BOOKBUYER = 'spiffe://cluster.local/ns/bookbuyer/sa/bookbuyer';

const REGISTRY = `
people:
  - { id: alice@corp.example, status: active }
agents:
  - id: ${INVOICE_BOT}
    name: Invoice reconciliation bot
    owner: alice@corp.example
    status: active
    purpose: Match supplier invoices against purchase orders
    registered_at: 2016-01-10
    last_reviewed: 2026-10-01
    scope:
      environments: [prod]
  - id: ${BOOKBUYER}
    name: OSM demo book buyer
    owner: alice@corp.example
    status: active
    purpose: Buys books from the bookstore demo service
    registered_at: 2016-01-10
    last_reviewed: 2026-10-01
`;

const RELEVANT = ['registry.unregistered_agent', 'scope.environment_outside_registry', 'lifecycle.inactive_agent_active'];

/** Real sample records, given the identity a deployment would carry (an mTLS principal / agent header / policy input). */
function withEnvoyPrincipal(line: Record<string, unknown>, principal: string): Record<string, unknown> {
  const copy = structuredClone(line);
  (copy['input'] as { attributes: { source: Record<string, unknown> } }).attributes.source['principal'] = principal;
  return copy;
}

function withInput(record: Record<string, unknown>, input: Record<string, unknown>, labels: Record<string, string> = {}): Record<string, unknown> {
  const copy = structuredClone(record);
  copy['input'] = { ...(copy['input'] as object), ...input };
  copy['labels'] = { ...(copy['labels'] as object), ...labels };
  return copy;
}

function mapAll(records: unknown[]): CanonicalEvent[] {
  const opa = createOpaAdapter();
  const events: CanonicalEvent[] = [];
  for (const r of records) {
    const out = opa.map(r);
    expect(out.rejects).toEqual([]);
    events.push(...out.events);
  }
  return events;
}

function alertsFor(events: CanonicalEvent[]) {
  return runEvents({ rules: BUILTIN_RULES, registry: loadRegistryOrThrow(REGISTRY, 'test'), events });
}

describe('OPA decision logs end to end', () => {
  it('a deny for a registered agent is a policy_decision deny and raises no out-of-registry alert', () => {
    const events = mapAll([withEnvoyPrincipal(OSM_DENY, BOOKBUYER)]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'policy_decision', decision: 'deny', agent_id: BOOKBUYER, policy: 'envoy/authz/allow', source: 'opa' });
    const ids = alertsFor(events).map((a) => a.rule_id);
    expect(ids.filter((id) => RELEVANT.includes(id))).toEqual([]);
  });

  it('an allowed decision for an agent the registry does not list raises registry.unregistered_agent', () => {
    const shadow = 'spiffe://cluster.local/ns/bookbuyer/sa/shadow-buyer';
    const alerts = alertsFor(mapAll([withEnvoyPrincipal(OSM_ALLOW, shadow)]));
    const unregistered = alerts.filter((a) => a.rule_id === 'registry.unregistered_agent');
    expect(unregistered).toHaveLength(1);
    expect(unregistered[0]).toMatchObject({ agent_id: shadow });
  });

  it('a decision from an environment outside the agent scope raises scope.environment_outside_registry', () => {
    const staging = withInput(UPLOAD_ALLOW, { agent_id: INVOICE_BOT }, { environment: 'staging' });
    const alerts = alertsFor(mapAll([staging]));
    expect(alerts.map((a) => a.rule_id)).toContain('scope.environment_outside_registry');
    expect(alerts.map((a) => a.rule_id)).not.toContain('registry.unregistered_agent');
  });

  it('in-scope decisions of registered agents raise none of the relevant rules', () => {
    const events = mapAll([withInput(UPLOAD_ALLOW, { agent_id: INVOICE_BOT }, { environment: 'prod' }), withEnvoyPrincipal(OSM_ALLOW, BOOKBUYER)]);
    expect(events.map((e) => e.kind === 'policy_decision' && e.decision)).toEqual(['allow', 'allow']);
    expect(alertsFor(events).filter((a) => RELEVANT.includes(a.rule_id))).toEqual([]);
  });
});
