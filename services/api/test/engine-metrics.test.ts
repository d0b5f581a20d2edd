import { BUILTIN_RULES, DetectionEngine, loadRegistryOrThrow } from '@agentwatch/detections';
import { FIXTURE_REGISTRY } from '@agentwatch/detections/testing';
import { describe, expect, it } from 'vitest';
import { createApiMetrics, registerEngineGauges } from '../src/index.ts';

describe('engine gauges', () => {
  it('sum the agents and the saturation counts of every engine at each scrape', async () => {
    const metrics = createApiMetrics({ defaultMetrics: false });
    const registry = loadRegistryOrThrow(FIXTURE_REGISTRY, 'fixture');
    const a = new DetectionEngine({ registry, rules: BUILTIN_RULES });
    const b = new DetectionEngine({ registry, rules: BUILTIN_RULES });
    const engines = [a, b];
    registerEngineGauges(metrics, () => engines);
    const base = { kind: 'tool_call', tool: 'erp.invoice.read', outcome: 'success', time: '2026-11-02T09:00:00Z' } as const;
    a.process({ ...base, event_id: 'a1', agent_id: 'spiffe://corp.example/agents/invoice-bot' } as never);
    b.process({ ...base, event_id: 'b1', agent_id: 'spiffe://corp.example/agents/payments-bot' } as never);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^agentwatch_engine_agents 2$/m);
    expect(text).toMatch(/^agentwatch_engine_saturation\{kind="alertsFolded"\} 0$/m);
    expect(text).toMatch(/^agentwatch_engine_saturation\{kind="dedupForgotten"\} 0$/m);
  });
});
