import { createHash } from 'node:crypto';
import { type Problem, Registry, toProblems } from '@agentwatch/schemas';
import { CompiledRegistry } from './compiled-registry.ts';
import { type GlobKind, GlobSyntaxError, globToRegExp } from './glob.ts';
import { readRegistryYaml } from './registry-yaml.ts';

/** A registry problem, located: which file, which path inside it, what was expected. */
export interface RegistryProblem extends Problem {
  file: string;
}

/** `syntax`: the text is not YAML/JSON at all (nothing could be checked against the registry's shape). */
export type RegistryLoadResult = { ok: true; registry: CompiledRegistry } | { ok: false; problems: RegistryProblem[]; syntax: boolean };

/**
 * Most alias expansions a registry document may make (the yaml library's own default, stated here): a "billion laughs"
 * document is refused as a problem in milliseconds instead of expanding.
 */
export const MAX_REGISTRY_ALIASES = 100;

/** Thrown by {@link loadRegistryOrThrow} when a registry is refused; lists every problem. */
export class RegistryValidationError extends Error {
  readonly problems: RegistryProblem[];
  constructor(problems: RegistryProblem[]) {
    super(`registry refused, ${problems.length} problem(s):\n${problems.map((p) => `  ${p.file}: ${p.path}: ${p.message}`).join('\n')}`);
    this.problems = problems;
  }
}

/**
 * Parses and validates a registry file's text as a whole (YAML, or JSON which YAML reads too). Returns
 * every problem found, never only the first: schema errors, duplicate ids and patterns that do not compile.
 * Pure: the caller reads the file (see services' registry watcher for hot reload).
 */
export function parseRegistry(text: string, file: string): RegistryLoadResult {
  const fail = (problems: Problem[], syntax = false): RegistryLoadResult => ({ ok: false, syntax, problems: problems.map((p) => ({ file, ...p })) });
  let value: unknown;
  try {
    const read = readRegistryYaml(text, MAX_REGISTRY_ALIASES);
    if (!read.ok) {
      return fail(
        read.doc.errors.map((e) => ({ path: `line ${(e.linePos?.[0]?.line ?? 0).toString()}`, message: `not valid YAML/JSON: ${e.message.split('\n')[0]}` })),
        true,
      );
    }
    value = read.value;
  } catch (e) {
    // Too many aliases (the library throws a ReferenceError), or nesting too deep to build: a problem, never a throw
    // (a hot reload would otherwise take the process down).
    const message = e instanceof ReferenceError ? `too many YAML aliases (at most ${MAX_REGISTRY_ALIASES} expansions)` : (e as Error).message;
    return fail([{ path: '(document)', message: `refused: ${message}` }]);
  }
  const parsed = Registry.safeParse(value);
  if (!parsed.success) return fail(toProblems(parsed.error));
  const registry = parsed.data;
  const problems = semanticProblems(registry);
  if (problems.length > 0) return fail(problems);
  const version = createHash('sha256').update(JSON.stringify(registry)).digest('hex').slice(0, 16);
  return { ok: true, registry: new CompiledRegistry(registry, version) };
}

/** {@link parseRegistry} that throws {@link RegistryValidationError} instead of returning problems. */
export function loadRegistryOrThrow(text: string, file: string): CompiledRegistry {
  const r = parseRegistry(text, file);
  if (!r.ok) throw new RegistryValidationError(r.problems);
  return r.registry;
}

/** Checks the schema cannot express: unique ids, compilable patterns, dates that exist. */
function semanticProblems(reg: Registry): Problem[] {
  const problems: Problem[] = [];
  const firstAt = new Map<string, number>();
  reg.agents.forEach((a, i) => {
    const prev = firstAt.get(a.id);
    if (prev !== undefined) problems.push({ path: `agents[${i}].id`, message: `duplicate agent id "${a.id}" (first at agents[${prev}])` });
    else firstAt.set(a.id, i);
    const checks: Array<[string, readonly string[] | undefined, GlobKind]> = [
      ['scope.tools', a.scope.tools, 'tool'],
      ['scope.resources', a.scope.resources, 'resource'],
      ['scope.token_scopes', a.scope.token_scopes, 'scope'],
      ['high_consequence_tools', a.high_consequence_tools, 'tool'],
      ['delegation.may_delegate_to', a.delegation?.may_delegate_to, 'agent'],
    ];
    for (const [path, list, kind] of checks) {
      list?.forEach((p, j) => {
        try {
          globToRegExp(p, kind);
        } catch (e) {
          if (!(e instanceof GlobSyntaxError)) throw e;
          problems.push({ path: `agents[${i}].${path}[${j}]`, message: `expected a glob pattern: ${e.message}` });
        }
      });
    }
    for (const field of ['registered_at', 'last_reviewed'] as const) {
      const v = a[field];
      if (v !== undefined && Number.isNaN(Date.parse(v))) problems.push({ path: `agents[${i}].${field}`, message: `expected a real date, got "${v}"` });
    }
  });
  const people = new Map<string, number>();
  reg.people.forEach((p, i) => {
    const prev = people.get(p.id);
    if (prev !== undefined) problems.push({ path: `people[${i}].id`, message: `duplicate person id "${p.id}" (first at people[${prev}])` });
    else people.set(p.id, i);
  });
  return problems;
}
