import { readFileSync } from 'node:fs';
import { BUILTIN_RULES, type CompiledRegistry, parseRegistry, type Rule } from '@agentwatch/detections';
import { loadSigmaDir } from '@agentwatch/detections/sigma';

/** A CLI failure with the exit code it should produce and a message for stderr. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Reads and validates the registry file; any problem is a CliError listing every problem. */
export function readRegistryFile(path: string): CompiledRegistry {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read registry ${path}: ${(e as Error).message}`);
  }
  const r = parseRegistry(text, path);
  if (!r.ok)
    throw new CliError(
      `registry ${path} refused (${r.problems.length} problem(s)):\n${r.problems.map((p) => `  ${p.file}: ${p.path}: ${p.message}`).join('\n')}`,
    );
  return r.registry;
}

/** Built-in rules plus the Sigma rules of `dir` (if given); invalid Sigma files are a CliError. */
export async function loadRules(dir: string | undefined): Promise<Rule[]> {
  const rules: Rule[] = [...BUILTIN_RULES];
  if (dir === undefined) return rules;
  const loaded = await loadSigmaDir(dir);
  if (loaded.problems.length > 0)
    throw new CliError(`rules in ${dir} refused:\n${loaded.problems.map((p) => `  ${p.file}: ${p.path}: ${p.message}`).join('\n')}`);
  return [...rules, ...loaded.rules];
}
