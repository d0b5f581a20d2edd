import type { CanonicalEvent } from '@agentwatch/schemas';
import { describe, expect, it } from 'vitest';
import { DetectionEngine } from '../src/engine/engine.ts';
import { BUILTIN_RULES } from '../src/index.ts';
import { loadRegistryOrThrow } from '../src/registry/load-registry.ts';
import { FIXTURE_REGISTRY } from '../src/testing/fixture-registry.ts';
import { materialise } from '../src/testing/fixtures.ts';

const registry = loadRegistryOrThrow(FIXTURE_REGISTRY, 'fixture');
/** Not in the registry: every call of it is an out-of-registry finding, folded into one alert. */
const GHOST = 'spiffe://corp.example/agents/ghost-bot';

/** Three calls by an unregistered agent, a minute apart. */
const calls = materialise([
  { at: '+1m', kind: 'tool_call', agent_id: GHOST, tool: 'crm.export', outcome: 'success' },
  { at: '+2m', kind: 'tool_call', agent_id: GHOST, tool: 'crm.export', outcome: 'success' },
  { at: '+3m', kind: 'tool_call', agent_id: GHOST, tool: 'crm.export', outcome: 'success' },
]) as CanonicalEvent[];

const counts = (engine: DetectionEngine) =>
  engine
    .flush()
    .map((a) => `${a.rule_id} ${a.alert_id} ${a.count}`)
    .sort();

describe('duplicate events (same event_id)', () => {
  it('a redelivered event within duplicate_window is not counted again', () => {
    const once = new DetectionEngine({ registry, rules: BUILTIN_RULES });
    for (const e of calls) once.process(e);
    const twice = new DetectionEngine({ registry, rules: BUILTIN_RULES });
    // At-least-once delivery: the first two are delivered again after the third.
    for (const e of [...calls, calls[0], calls[1]] as CanonicalEvent[]) twice.process(e);
    expect(twice.getStats()).toMatchObject({ events: 3, duplicates: 2 });
    const expected = counts(once);
    expect(expected.length).toBeGreaterThan(0);
    expect(counts(twice)).toEqual(expected);
  });

  it('the memory of recent ids survives a snapshot, and lets go after the window', () => {
    const a = new DetectionEngine({ registry, rules: BUILTIN_RULES, config: { duplicate_window: '5m' } });
    a.process(calls[0] as CanonicalEvent);
    const b = new DetectionEngine({ registry, rules: BUILTIN_RULES, config: { duplicate_window: '5m' } });
    b.restore(JSON.parse(JSON.stringify(a.snapshot())));
    b.process(calls[0] as CanonicalEvent);
    expect(b.getStats()).toMatchObject({ events: 1, duplicates: 1 });
    // 20 minutes later the same id is a new event (outside the window): processed.
    const [later] = materialise([{ at: '+21m', kind: 'tool_call', agent_id: GHOST, tool: 'payments.status', outcome: 'success' }]);
    b.process({ ...(later as CanonicalEvent), event_id: 'later-1' });
    b.process({ ...(calls[0] as CanonicalEvent), time: (later as CanonicalEvent).time });
    expect(b.getStats()).toMatchObject({ events: 3, duplicates: 1 });
  });

  it('events with different ids are never merged, whatever their content', () => {
    const engine = new DetectionEngine({ registry, rules: BUILTIN_RULES });
    engine.process(calls[0] as CanonicalEvent);
    engine.process({ ...(calls[0] as CanonicalEvent), event_id: 'another-id' });
    expect(engine.getStats()).toMatchObject({ events: 2, duplicates: 0 });
  });
});
