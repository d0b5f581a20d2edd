import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CATEGORIES, SEVERITIES } from '@agentwatch/schemas';
import { describe, expect, it } from 'vitest';
import { BUILTIN_RULES } from '../rules/index.ts';
import type { Rule } from '../src/engine/types.ts';
import { type RuleFixture, runFixture } from '../src/testing/fixtures.ts';

const RULES_DIR = join(import.meta.dirname, '..', 'rules');

/** Every rule folder on disk: rules/<category>/<rule-id>/. */
const folders = readdirSync(RULES_DIR)
  .filter((c) => statSync(join(RULES_DIR, c)).isDirectory())
  .flatMap((category) => readdirSync(join(RULES_DIR, category)).map((id) => ({ category, id, dir: join(RULES_DIR, category, id) })));

describe('all built-in rules', () => {
  it('are each listed once, in a folder named after their id under their category', () => {
    const ids = BUILTIN_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(folders.map((f) => f.id).sort());
    for (const f of folders) expect(BUILTIN_RULES.find((r) => r.id === f.id)?.category).toBe(f.category);
  });

  it('carry complete metadata', () => {
    for (const r of BUILTIN_RULES) {
      expect(r.id, r.id).toMatch(/^[a-z_]+\.[a-z0-9_]+$/);
      expect(r.version, r.id).toMatch(/^\d+\.\d+\.\d+$/);
      expect(CATEGORIES, r.id).toContain(r.category);
      expect(SEVERITIES, r.id).toContain(r.severity);
      expect(r.riskScore, r.id).toBeGreaterThanOrEqual(0);
      expect(r.riskScore, r.id).toBeLessThanOrEqual(100);
      expect(r.description.length, r.id).toBeGreaterThan(40);
      expect(r.tags.length, r.id).toBeGreaterThan(0);
      for (const t of r.tags)
        expect(t, r.id).toMatch(/^(owasp-nhi:NHI\d+|owasp-agentic:ASI\d\d|mitre-attack:T\d{4}(\.\d{3})?|mitre-atlas:AML\.T\d{4}(\.\d{3})?)$/);
      expect(r.kinds.length, r.id).toBeGreaterThan(0);
      expect(r.dedupWindowMs, r.id).toBeGreaterThan(0);
      expect(r.falsePositives.length + r.knownGaps.length, r.id).toBeGreaterThan(0);
    }
  });

  it('cover every alert category', () => {
    expect(new Set(BUILTIN_RULES.map((r) => r.category))).toEqual(new Set(CATEGORIES));
  });
});

for (const f of folders) {
  describe(f.id, async () => {
    const rule = BUILTIN_RULES.find((r) => r.id === f.id) as Rule;
    const { fixtures } = (await import(join(f.dir, 'rule.fixtures.ts'))) as { fixtures: RuleFixture[] };

    it('has a positive and a negative fixture', () => {
      expect(fixtures.some((x) => x.expect.length > 0)).toBe(true);
      expect(fixtures.some((x) => x.expect.length === 0)).toBe(true);
    });

    for (const fixture of fixtures) {
      it(fixture.name, () => {
        // All rules run, as in production; only this rule's alerts are checked.
        const result = runFixture(rule, fixture, BUILTIN_RULES);
        expect(result.problems).toEqual([]);
        for (const a of result.alerts) expect(a.evidence.event_ids.length).toBeGreaterThan(0);
      });
    }
  });
}
