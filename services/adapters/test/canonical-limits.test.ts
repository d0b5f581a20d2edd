import { EVENT_LIMITS } from '@agentwatch/schemas';
import { describe, expect, it } from 'vitest';
import { ATTRIBUTES_OMITTED_KEY, createAdapter } from '../src/index.ts';
import { otlpExport, otlpSpan, toolAttrs } from './otlp-fixtures.ts';

/** Adapter output is validated against the canonical limits: an over-long or invalid mapped field is a reject with a reason, never a crash or a stored poison. */
describe('adapters and the canonical text limits', () => {
  // maxAttributes above the canonical limit: the adapter's own cap lets them through, finishEvent fits them.
  const otlp = createAdapter('otlp', { maxAttributes: 500 });
  const map = (attrs: Record<string, unknown>) => otlp.map(otlpExport([otlpSpan(toolAttrs('erp.read', { 'gen_ai.agent.id': 'agent-a', ...attrs }))]));

  it('a tool name over its limit: the span is rejected with the field named, not mapped', () => {
    const r = otlp.map(otlpExport([otlpSpan(toolAttrs('t'.repeat(EVENT_LIMITS.tool + 1), { 'gen_ai.agent.id': 'agent-a' }))]));
    expect(r.events).toHaveLength(0);
    expect(r.rejects).toHaveLength(1);
    expect(r.rejects[0]?.reason).toMatch(/tool/);
  });

  it('a lone surrogate in a mapped field: rejected with the reason', () => {
    const r = otlp.map(otlpExport([otlpSpan(toolAttrs('erp.\ud800read', { 'gen_ai.agent.id': 'agent-a' }))]));
    expect(r.events).toHaveLength(0);
    expect(r.rejects[0]?.reason).toMatch(/tool.*Unicode/);
  });

  it('more attributes than allowed: the first ones kept, the rest counted in a marker; long values cut with their size', () => {
    const many = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`app.x${String(i).padStart(3, '0')}`, 'v']));
    const r = map({ ...many, 'app.big': 'y'.repeat(EVENT_LIMITS.attributeValue * 3) });
    expect(r.rejects).toEqual([]);
    const attrs = r.events[0]?.attributes ?? {};
    expect(Object.keys(attrs).length).toBe(EVENT_LIMITS.attributes);
    expect(Number(attrs[ATTRIBUTES_OMITTED_KEY])).toBeGreaterThan(0);
    const r2 = map({ 'app.big': 'y'.repeat(EVENT_LIMITS.attributeValue * 3) });
    const big = Object.values(r2.events[0]?.attributes ?? {}).find((v) => v.startsWith('yyy')) ?? '';
    expect(big.length).toBeLessThanOrEqual(EVENT_LIMITS.attributeValue);
    expect(big).toMatch(/…\[\d+ chars\]$/);
  });
});
