import type { Alert, CanonicalEvent } from '@agentwatch/schemas';
import { Alert as AlertSchema } from '@agentwatch/schemas';
import { describe, expect, it } from 'vitest';
import { ALERT_BOUNDS, boundAlert, cutText } from '../src/engine/bounded-alert.ts';
import { DetectionEngine, MAX_EVIDENCE_EVENTS } from '../src/engine/engine.ts';
import { defineRule } from '../src/engine/types.ts';
import { BUILTIN_RULES } from '../src/index.ts';
import { loadRegistryOrThrow } from '../src/registry/load-registry.ts';
import { FIXTURE_REGISTRY } from '../src/testing/fixture-registry.ts';

/** An alert quotes what agents send: whatever they send, an alert stays small (ALERT_BOUNDS). */
const registry = loadRegistryOrThrow(FIXTURE_REGISTRY, 'fixture');
const GHOST = 'spiffe://corp.example/agents/ghost-bot';
const HUGE = 'A'.repeat(10 * 1024 * 1024);
const bytes = (a: Alert): number => Buffer.byteLength(JSON.stringify(a));

const call = (i: number, extra: Partial<Extract<CanonicalEvent, { kind: 'tool_call' }>> = {}): CanonicalEvent => ({
  kind: 'tool_call',
  event_id: `e-${i}`,
  time: new Date(Date.UTC(2026, 10, 2, 9) + i * 1000).toISOString(),
  agent_id: GHOST,
  tool: 'crm.export',
  outcome: 'success',
  ...extra,
});

/** A rule that quotes the event's resource everywhere, and lists 1,000 things as evidence. */
const quoting = defineRule({
  id: 'test.quotes_everything',
  version: '1',
  category: 'runtime',
  severity: 'low',
  riskScore: 10,
  name: 'quotes everything',
  description: 'test rule',
  tags: [],
  kinds: ['tool_call'],
  dedupWindowMs: 3_600_000,
  falsePositives: [],
  knownGaps: [],
  evaluate: (e) => {
    const r = e.kind === 'tool_call' ? (e.resource ?? '') : '';
    return {
      dedupKey: 'k',
      title: `resource ${r}`,
      summary: `the agent touched ${r}`,
      evidence: { resource: r, list: Array.from({ length: 1000 }, (_, i) => `${r.slice(0, 100)}-${i}`), nested: { deeper: { deepest: { r, more: [r, r] } } } },
    };
  },
});

describe('bounded alerts', () => {
  it('a 10 MB field quoted by a rule gives an alert under 64 KiB: strings cut with their length, lists capped with a count', () => {
    const engine = new DetectionEngine({ registry, rules: [quoting] });
    engine.process(call(1, { resource: HUGE }));
    const [a] = engine.flush();
    expect(a).toBeDefined();
    const alert = a as Alert;
    expect(bytes(alert)).toBeLessThanOrEqual(ALERT_BOUNDS.alertBytes);
    expect(alert.title.length).toBeLessThanOrEqual(ALERT_BOUNDS.title);
    expect(alert.title).toMatch(new RegExp(`…\\[${HUGE.length + 'resource '.length} chars\\]$`));
    expect(alert.summary.length).toBeLessThanOrEqual(ALERT_BOUNDS.summary);
    expect(AlertSchema.safeParse(alert).success).toBe(true);
    const ev = alert.evidence as Record<string, unknown>;
    // Either bounded field by field or, when still too big, reduced to the ids with a flag: never silent.
    if (ev['evidence_truncated'] !== true) {
      expect((ev['list'] as unknown[]).length).toBe(ALERT_BOUNDS.evidenceList);
      expect(ev['list_omitted']).toBe(1000 - ALERT_BOUNDS.evidenceList);
    }
    expect(alert.evidence.event_ids).toEqual(['e-1']);
  });

  it('a small quoted field leaves the alert as the rule wrote it, lists capped with what was left out', () => {
    const engine = new DetectionEngine({ registry, rules: [quoting] });
    engine.process(call(1, { resource: 'erp://x' }));
    const alert = engine.flush()[0] as Alert;
    expect(alert.title).toBe('resource erp://x');
    const ev = alert.evidence as Record<string, unknown>;
    expect((ev['list'] as unknown[]).length).toBe(ALERT_BOUNDS.evidenceList);
    expect(ev['list_omitted']).toBe(975);
    expect(ev['resource']).toBe('erp://x');
  });

  it('evidence event ids stop at the cap and count the rest (event_ids_omitted); count counts every match', () => {
    const engine = new DetectionEngine({ registry, rules: BUILTIN_RULES });
    const n = MAX_EVIDENCE_EVENTS + 15;
    for (let i = 0; i < n; i++) engine.process(call(i));
    const alert = engine.flush().find((a) => a.count === n) as Alert;
    expect(alert).toBeDefined();
    expect(alert.evidence.event_ids).toHaveLength(MAX_EVIDENCE_EVENTS);
    expect(alert.evidence['event_ids_omitted']).toBe(15);
  });

  it('boundAlert: any evidence ends under the byte cap, reduced to the ids with evidence_truncated when nothing else fits', () => {
    const big = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, Array.from({ length: 30 }, () => 'x'.repeat(3000))]));
    const alert: Alert = {
      alert_id: 'a',
      rule_id: 'r',
      rule_version: '1',
      category: 'runtime',
      severity: 'low',
      risk_score: 1,
      agent_id: GHOST,
      owner: null,
      title: 't'.repeat(10_000),
      summary: 's'.repeat(100_000),
      first_seen: '2026-11-02T09:00:00.000Z',
      last_seen: '2026-11-02T09:00:00.000Z',
      count: 1,
      evidence: { event_ids: Array.from({ length: 100 }, (_, i) => `id-${i}`), ...big },
      tags: [],
      status: 'new',
    };
    const bounded = boundAlert(structuredClone(alert));
    expect(bytes(bounded)).toBeLessThanOrEqual(ALERT_BOUNDS.alertBytes);
    expect(bounded.evidence.event_ids.length).toBeLessThanOrEqual(ALERT_BOUNDS.evidenceList);
    expect(bounded.title).toMatch(/…\[10000 chars\]$/);
    // A small alert is not touched.
    const small = { ...alert, title: 't', summary: 's', evidence: { event_ids: ['x'], n: 1 } };
    expect(boundAlert(structuredClone(small))).toEqual(small);
  });

  it('cutText never splits a surrogate pair and says how long the text was', () => {
    const s = `${'a'.repeat(9)}😀${'b'.repeat(100)}`;
    for (let max = 20; max < 30; max++) {
      const c = cutText(s, max);
      expect(c.length).toBeLessThanOrEqual(max);
      expect(c.isWellFormed()).toBe(true);
      expect(c).toMatch(/…\[111 chars\]$/);
    }
  });
});
