import { existsSync } from 'node:fs';
import { BUILTIN_RULES, INCIDENT_FIXTURES, runIncidentFixtures } from '@agentwatch/detections';
import { loadSigmaDir, runSigmaTests } from '@agentwatch/detections/sigma';
import { runBuiltinFixtures } from '@agentwatch/detections/testing';
import { CliError } from '../load.ts';

type Log = (line: string) => void;

function requireDir(dir: string): void {
  if (!existsSync(dir)) throw new CliError(`rules directory ${dir} does not exist`);
}

/** `agentwatch rules validate [DIR]`: every Sigma file in DIR compiles (or every problem is listed). Returns the exit code. */
export async function rulesValidate(dir: string | undefined, log: Log): Promise<number> {
  if (dir === undefined) {
    log(`${BUILTIN_RULES.length} built-in rules valid`);
    return 0;
  }
  requireDir(dir);
  const loaded = await loadSigmaDir(dir);
  for (const p of loaded.problems) log(`${p.file}: ${p.path}: ${p.message}`);
  log(`${dir}: ${loaded.rules.length} rule(s) valid, ${loaded.problems.length} problem(s)`);
  return loaded.problems.length > 0 ? 1 : 0;
}

/**
 * `agentwatch rules test [DIR]`: runs each rule's own fixtures. Without DIR: the built-in rules' fixtures.
 * With DIR: the Sigma rules' test files there. Prints a `N passed, N failed` closing line.
 */
export async function rulesTest(dir: string | undefined, log: Log): Promise<number> {
  let passed = 0;
  const failures: string[] = [];
  if (dir === undefined) {
    const r = await runBuiltinFixtures();
    passed += r.passed;
    for (const f of r.failed) failures.push(`${f.rule} > ${f.fixture}: ${f.message}`);
    // The incident grouping's fixtures (detections/src/incidents/fixtures) run with the rules' own.
    const inc = runIncidentFixtures(INCIDENT_FIXTURES);
    passed += inc.passed;
    for (const f of inc.failed) failures.push(`incidents ${f.file} > ${f.fixture}: ${f.message}`);
  } else {
    requireDir(dir);
    const loaded = await loadSigmaDir(dir);
    for (const p of loaded.problems) failures.push(`${p.file}: ${p.path}: ${p.message}`);
    const r = await runSigmaTests(dir);
    passed += r.passed;
    for (const f of r.failed) failures.push(`${f.rule} > ${f.test}: ${f.message}`);
  }
  for (const f of failures) log(`FAIL ${f}`);
  log(`rules: ${passed} passed, ${failures.length} failed`);
  return failures.length > 0 ? 1 : 0;
}
