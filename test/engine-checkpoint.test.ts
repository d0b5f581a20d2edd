import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILTIN_RULES, DetectionEngine, type EngineSnapshot, parseRegistry } from '@agentwatch/detections';
import { type Alert, type CanonicalEvent, parseEventJson } from '@agentwatch/schemas';
import { simulateFleet } from '@agentwatch/simulator';
import { describe, expect, it } from 'vitest';
import { tempDir } from './support/temp-dir.ts';

/**
 * The checkpoint guarantee the live pipeline relies on: snapshot the engine mid-stream, serialise it as
 * JSON, restore it in a fresh engine, go on, and get exactly the alerts of an uninterrupted run.
 */
describe('engine checkpoint', () => {
  it('snapshot -> JSON -> restore mid-stream gives the same alerts as an uninterrupted run', async () => {
    const dir = tempDir('aw-ckpt-');
    await simulateFleet({ agents: 24, days: 12, seed: 5, outDir: dir });
    const reg = parseRegistry(readFileSync(join(dir, 'registry.yaml'), 'utf8'), 'registry.yaml');
    if (!reg.ok) throw new Error('registry');
    const events: CanonicalEvent[] = readFileSync(join(dir, 'events.ndjson'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const r = parseEventJson(l);
        if (!r.ok) throw new Error('bad event');
        return r.value;
      });
    const run = (engine: DetectionEngine, from: number, to: number, out: Alert[]) => {
      for (let i = from; i < to; i++) {
        engine.process(events[i] as CanonicalEvent);
        out.push(...engine.takeClosed());
      }
    };
    const whole: Alert[] = [];
    const a = new DetectionEngine({ registry: reg.registry, rules: BUILTIN_RULES });
    run(a, 0, events.length, whole);
    whole.push(...a.flush());

    const resumed: Alert[] = [];
    const cut = Math.floor(events.length * 0.8);
    const b = new DetectionEngine({ registry: reg.registry, rules: BUILTIN_RULES });
    run(b, 0, cut, resumed);
    const snap = JSON.parse(JSON.stringify(b.snapshot())) as EngineSnapshot;
    const c = new DetectionEngine({ registry: reg.registry, rules: BUILTIN_RULES });
    c.restore(snap);
    run(c, cut, events.length, resumed);
    resumed.push(...c.flush());

    expect(whole.length).toBeGreaterThan(10);
    expect(JSON.stringify(resumed)).toBe(JSON.stringify(whole));
  });

  it('reports alerts as they open and as they grow (takeChanged), for the live view', () => {
    const reg = parseRegistry(
      'agents:\n  - { id: a, name: A, owner: o, status: active, purpose: p, registered_at: 2026-10-01, last_reviewed: 2026-10-01, scope: { tools: [x.read] } }\n',
      'r.yaml',
    );
    if (!reg.ok) throw new Error('registry');
    const e = new DetectionEngine({ registry: reg.registry, rules: BUILTIN_RULES });
    const call = (i: number) => ({
      kind: 'tool_call' as const,
      event_id: `e${i}`,
      time: `2026-11-02T09:0${i}:00.000Z`,
      agent_id: 'a',
      tool: 'y.write',
      outcome: 'success' as const,
    });
    e.process(call(1));
    const first = e.takeChanged();
    expect(first.map((x) => [x.rule_id, x.count])).toEqual([['scope.tool_outside_registry', 1]]);
    expect(e.takeChanged()).toEqual([]);
    e.process(call(2));
    const second = e.takeChanged();
    expect(second.map((x) => [x.alert_id, x.count])).toEqual([[first[0]?.alert_id, 2]]);
    expect(first[0]?.count).toBe(1);
  });
});
