import { BUILTIN_RULES, loadRegistryOrThrow, runEvents } from '@agentwatch/detections';
import type { CanonicalEvent } from '@agentwatch/schemas';
import { describe, expect, it } from 'vitest';
import { createOtlpAdapter, mapOtlpTraceRequest } from '../src/otlp/index.ts';
import { agentRun, readSample, recordSpans, toJsonBytes, toProtobuf } from './otlp-fixtures.ts';

/**
 * Source format to alerts: spans recorded by the OpenTelemetry JS SDK, exported as OTLP/protobuf (and
 * OTLP/JSON), through decode + this adapter, into the detection engine with the built-in rules.
 */
const REGISTRY = `
people:
  - { id: alice@corp.example, status: active }
agents:
  - id: spiffe://corp.example/agents/invoice-bot
    name: Invoice reconciliation bot
    owner: alice@corp.example
    status: active
    purpose: Match supplier invoices against purchase orders
    registered_at: 2026-01-10
    last_reviewed: 2026-10-01
    scope:
      tools: ["erp.invoice.read", "erp.po.*"]
      environments: [prod]
`;

const registry = loadRegistryOrThrow(REGISTRY, 'test');
const adapter = createOtlpAdapter({ agentIdTemplate: 'spiffe://corp.example/agents/{value}' });
const RESOURCE = { 'service.name': 'agent-runtime', 'deployment.environment.name': 'prod' };

function eventsFor(agentName: string, tools: string[], encoding: 'protobuf' | 'json' = 'protobuf'): CanonicalEvent[] {
  const spans = recordSpans(RESOURCE, (tracer) =>
    agentRun(
      tracer,
      { 'gen_ai.agent.name': agentName },
      tools.map((tool, i) => ({ tool, at: 1000 * (i + 1), ms: 20 })),
    ),
  );
  const result =
    encoding === 'protobuf'
      ? mapOtlpTraceRequest(adapter, toProtobuf(spans), 'application/x-protobuf')
      : mapOtlpTraceRequest(adapter, toJsonBytes(spans), 'application/json');
  expect(result.rejects).toEqual([]);
  expect(result.events).toHaveLength(tools.length);
  return result.events;
}

const ruleIds = (events: CanonicalEvent[]) => runEvents({ rules: BUILTIN_RULES, registry, events }).map((a) => a.rule_id);

describe('otlp end to end: SDK spans -> OTLP -> adapter -> detections', () => {
  it('an execute_tool span from an agent the registry does not list raises registry.unregistered_agent', () => {
    expect(ruleIds(eventsFor('shadow-bot', ['erp.invoice.read']))).toEqual(['registry.unregistered_agent']);
  });

  it('a registered agent calling a tool outside its scope raises scope.tool_outside_registry', () => {
    for (const encoding of ['protobuf', 'json'] as const) {
      expect(ruleIds(eventsFor('invoice-bot', ['hris.employee.export'], encoding))).toEqual(['scope.tool_outside_registry']);
    }
  });

  it('in-scope calls by the registered agent, in its declared environment, raise no alert at all', () => {
    expect(ruleIds(eventsFor('invoice-bot', ['erp.invoice.read', 'erp.po.approve']))).toEqual([]);
  });

  it('the real any-agent sample: its agent (any_agent) is not in the registry', () => {
    const events = createOtlpAdapter().map(readSample('any-agent_GOOGLE_trace.json')).events;
    expect(events).toHaveLength(3);
    expect(ruleIds(events)).toContain('registry.unregistered_agent');
  });
});
