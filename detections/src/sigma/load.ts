import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { type Alert, problemsToString } from '@agentwatch/schemas';
import { runEvents } from '../engine/run-events.ts';
import type { CompiledRegistry } from '../registry/compiled-registry.ts';
import { parseRegistry } from '../registry/load-registry.ts';
import { FIXTURE_REGISTRY } from '../testing/fixture-registry.ts';
import { buildSigmaRules, type ParsedSigmaDocument, parseSigmaFile, type SigmaRule } from './compile.ts';
import { parseYamlDocuments, type SigmaProblem } from './source.ts';
import { isNegative, isPositive, parseTestFile, type SigmaTestCase, type SigmaTestFile } from './tests-format.ts';

/**
 * Loaders: the only part of the Sigma support that reads files. Rule evaluation itself stays pure.
 */

export interface SigmaDirLoad {
  /** Rules that raise alerts (a rule only referenced by correlations with `generate: false` does not). */
  rules: SigmaRule[];
  problems: SigmaProblem[];
  tests: SigmaTestFile[];
}

const TESTS_SUFFIX = /\.tests\.ya?ml$/;
const RULE_SUFFIX = /\.ya?ml$/;

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.') || e.name === 'node_modules') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else if (e.isFile() && RULE_SUFFIX.test(e.name)) out.push(p);
  }
  return out;
}

/**
 * Loads every Sigma rule under `dir` (`*.yml` / `*.yaml`, recursively, in name order) and the test files
 * beside them (`<stem>.tests.yml`). Correlations may reference rules in any file of the directory. Returns
 * the compiled rules, every problem (rule files and test files), and the parsed test files.
 */
export async function loadSigmaDir(dir: string): Promise<SigmaDirLoad> {
  const files = await walk(dir);
  const problems: SigmaProblem[] = [];
  const specs: ParsedSigmaDocument[] = [];
  const ruleFiles = files.filter((f) => !TESTS_SUFFIX.test(f));
  for (const file of ruleFiles) specs.push(...parseSigmaFile(await readFile(file, 'utf8'), file, problems));
  const rules = buildSigmaRules(specs, `directory ${dir}`);

  const tests: SigmaTestFile[] = [];
  for (const file of files.filter((f) => TESTS_SUFFIX.test(f))) {
    const stem = basename(file).replace(TESTS_SUFFIX, '');
    const ruleFile = ruleFiles.find((f) => dirname(f) === dirname(file) && basename(f).replace(RULE_SUFFIX, '') === stem);
    if (ruleFile === undefined) {
      problems.push({ file, path: '(root)', message: `no rule file ${stem}.yml beside this test file` });
      continue;
    }
    const parsed = parseYamlDocuments(await readFile(file, 'utf8'), file);
    problems.push(...parsed.problems);
    const doc = parsed.docs[0];
    if (!doc) {
      if (parsed.problems.length === 0) problems.push({ file, path: '(root)', message: 'empty test file' });
      continue;
    }
    const tf = parseTestFile(doc, ruleFile, problems);
    if (!tf) continue;
    if (tf.registry !== undefined) {
      const reg = parseRegistry(tf.registry, `${file}#registry`);
      if (!reg.ok) problems.push({ file, path: 'registry', message: `invalid registry: ${problemsToString(reg.problems)}` });
    }
    resolveTargets(tf, rules, specs, problems);
    tests.push(tf);
  }
  return { rules, problems, tests };
}

/** Sets each case's `ruleId`: its `rule:`, else the one outermost alerting rule of the rule file. */
function resolveTargets(tf: SigmaTestFile, rules: readonly SigmaRule[], specs: readonly ParsedSigmaDocument[], problems: SigmaProblem[]): void {
  const ofFile = rules.filter((r) => r.sigma.file === tf.ruleFile);
  const referencedInFile = new Set(ofFile.flatMap((r) => r.sigma.references));
  const outermost = ofFile.filter((r) => !referencedInFile.has(r.id));
  const fileCompiled = !specs.some((s) => s.doc.file === tf.ruleFile && s.r.count > 0);
  for (const t of tf.tests) {
    if (t.rule !== undefined) {
      const want = t.rule;
      const hit = rules.find((r) => r.id === want || r.id === `sigma.${want}` || r.sigma.name === want || r.sigma.sigmaId === want);
      if (hit) t.ruleId = hit.id;
      else if (fileCompiled) {
        const silent = specs.find((s) => s.name === want || s.sigmaId === want);
        problems.push({
          file: tf.file,
          path: `${t.path}.rule`,
          message: silent
            ? `rule "${want}" raises no alerts of its own (it is only referenced by correlations with generate: false); test the correlation, or set generate: true`
            : `unknown rule "${want}"`,
        });
      }
      continue;
    }
    if (outermost.length === 1) t.ruleId = (outermost[0] as SigmaRule).id;
    else if (fileCompiled) {
      problems.push({
        file: tf.file,
        path: t.path,
        message:
          outermost.length === 0
            ? `${basename(tf.ruleFile)} holds no rule that raises alerts; name the rule under test with "rule:"`
            : `${basename(tf.ruleFile)} holds several rules that raise alerts (${outermost.map((r) => r.id).join(', ')}); name one with "rule:"`,
      });
    }
  }
}

export interface SigmaTestFailure {
  /** Rule id (or the rule file when the failure is about a file). */
  rule: string;
  test: string;
  message: string;
}

/**
 * Runs every test case under `dir` through the real engine (all the directory's Sigma rules active, as in
 * production; only the target rule's alerts are checked). Also fails each alerting rule that lacks a
 * positive or a negative case. Static problems (invalid rules or test files, unknown rule names) are not
 * repeated here: they come from {@link loadSigmaDir}, and cases that cannot run are skipped.
 */
export async function runSigmaTests(dir: string): Promise<{ passed: number; failed: SigmaTestFailure[] }> {
  const loaded = await loadSigmaDir(dir);
  const failed: SigmaTestFailure[] = [];
  let passed = 0;
  const defaultRegistry = registryOf(FIXTURE_REGISTRY, 'fixture registry');
  const byRule = new Map<string, SigmaTestCase[]>();
  for (const tf of loaded.tests) {
    const registry = tf.registry !== undefined ? registryOf(tf.registry, `${tf.file}#registry`) : defaultRegistry;
    for (const t of tf.tests) {
      if (t.ruleId === undefined || registry === null) continue;
      const list = byRule.get(t.ruleId) ?? [];
      list.push(t);
      byRule.set(t.ruleId, list);
      const label = `${relative(dir, tf.file)}: ${t.name}`;
      let alerts: Alert[];
      try {
        alerts = runEvents({ rules: loaded.rules, registry, events: t.events });
      } catch (e) {
        failed.push({ rule: t.ruleId, test: label, message: `engine error: ${e instanceof Error ? e.message : String(e)}` });
        continue;
      }
      const problems = checkCase(
        t,
        alerts.filter((a) => a.rule_id === t.ruleId),
      );
      if (problems.length === 0) passed++;
      else failed.push({ rule: t.ruleId, test: label, message: problems.join('; ') });
    }
  }
  for (const rule of loaded.rules) {
    const cases = byRule.get(rule.id) ?? [];
    const file = relative(dir, rule.sigma.file);
    if (cases.length === 0) {
      failed.push({
        rule: rule.id,
        test: `${file}: (coverage)`,
        message: `no test cases: add ${basename(rule.sigma.file).replace(RULE_SUFFIX, '')}.tests.yml with a positive and a negative case`,
      });
      continue;
    }
    if (!cases.some(isPositive)) failed.push({ rule: rule.id, test: `${file}: (coverage)`, message: 'no positive case (one where the rule fires)' });
    if (!cases.some(isNegative)) failed.push({ rule: rule.id, test: `${file}: (coverage)`, message: 'no negative case (one where the rule stays quiet)' });
  }
  return { passed, failed };
}

function registryOf(text: string, file: string): CompiledRegistry | null {
  const r = parseRegistry(text, file);
  return r.ok ? r.registry : null;
}

/** Compares a case's expectations with the target rule's alerts; returns what does not hold. */
export function checkCase(t: SigmaTestCase, alerts: readonly Alert[]): string[] {
  const out: string[] = [];
  const fired = alerts.reduce((n, a) => n + a.count, 0);
  const titles = alerts.map((a) => a.title).join(' | ') || '(none)';
  if (t.match === true && fired === 0) out.push('expected the rule to fire, it stayed quiet');
  if (t.match === false && fired > 0) out.push(`expected no match, the rule fired ${fired} time(s): ${titles}`);
  const ex = t.expect;
  if (ex.count !== undefined && fired !== ex.count) out.push(`expected the rule to fire ${ex.count} time(s), it fired ${fired}: ${titles}`);
  if (ex.alerts !== undefined && alerts.length !== ex.alerts) out.push(`expected ${ex.alerts} alert(s), got ${alerts.length}: ${titles}`);
  const first = alerts[0];
  if (first) {
    if (ex.title !== undefined && !first.title.includes(ex.title)) out.push(`title "${first.title}" lacks "${ex.title}"`);
    if (ex.summary !== undefined && !first.summary.includes(ex.summary)) out.push(`summary "${first.summary}" lacks "${ex.summary}"`);
    if (ex.severity !== undefined && first.severity !== ex.severity) out.push(`severity ${first.severity}, expected ${ex.severity}`);
    if (ex.agent_id !== undefined && first.agent_id !== ex.agent_id) out.push(`agent_id ${first.agent_id}, expected ${ex.agent_id}`);
  } else if (ex.title !== undefined || ex.summary !== undefined || ex.severity !== undefined || ex.agent_id !== undefined) {
    if (t.match !== true && (ex.count ?? 0) === 0 && (ex.alerts ?? 0) === 0) out.push('alert expectations given, but no alert was raised');
  }
  if (ex.event_ids) {
    const seen = new Set(alerts.flatMap((a) => a.evidence.event_ids));
    const missing = ex.event_ids.filter((id) => !seen.has(id));
    if (missing.length > 0) out.push(`evidence lacks event(s) ${missing.join(', ')} (has ${[...seen].join(', ') || 'none'})`);
  }
  return out;
}
