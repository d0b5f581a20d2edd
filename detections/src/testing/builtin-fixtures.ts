import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BUILTIN_RULES } from '../../rules/index.ts';
import type { Rule } from '../engine/types.ts';
import { type RuleFixture, runFixture } from './fixtures.ts';

/** Where the built-in rule folders live: detections/rules/<category>/<rule-id>/. */
export const BUILTIN_RULES_DIR = join(import.meta.dirname, '..', '..', 'rules');

export interface RuleFolder {
  category: string;
  id: string;
  dir: string;
}

/** Every rule folder on disk. */
export function builtinRuleFolders(): RuleFolder[] {
  return readdirSync(BUILTIN_RULES_DIR)
    .filter((c) => statSync(join(BUILTIN_RULES_DIR, c)).isDirectory())
    .sort()
    .flatMap((category) =>
      readdirSync(join(BUILTIN_RULES_DIR, category))
        .sort()
        .map((id) => ({ category, id, dir: join(BUILTIN_RULES_DIR, category, id) })),
    );
}

/** Loads the fixtures beside a rule (rule.fixtures.ts). */
export async function loadFixtures(folder: RuleFolder): Promise<RuleFixture[]> {
  const mod = (await import(pathToFileURL(join(folder.dir, 'rule.fixtures.ts')).href)) as { fixtures?: RuleFixture[] };
  if (!Array.isArray(mod.fixtures)) throw new Error(`${folder.dir}/rule.fixtures.ts must export "fixtures"`);
  return mod.fixtures;
}

export interface FixtureFailure {
  rule: string;
  fixture: string;
  message: string;
}

/** Runs every built-in rule's fixtures with all built-in rules active (as in production). */
export async function runBuiltinFixtures(): Promise<{ passed: number; failed: FixtureFailure[] }> {
  let passed = 0;
  const failed: FixtureFailure[] = [];
  for (const folder of builtinRuleFolders()) {
    const rule = BUILTIN_RULES.find((r) => r.id === folder.id) as Rule | undefined;
    if (!rule) {
      failed.push({ rule: folder.id, fixture: '(folder)', message: 'rule folder not listed in detections/rules/index.ts' });
      continue;
    }
    for (const fixture of await loadFixtures(folder)) {
      try {
        const r = runFixture(rule, fixture, BUILTIN_RULES);
        if (r.ok) passed++;
        else failed.push({ rule: rule.id, fixture: fixture.name, message: r.problems.join('; ') });
      } catch (e) {
        failed.push({ rule: rule.id, fixture: fixture.name, message: (e as Error).message });
      }
    }
  }
  return { passed, failed };
}
