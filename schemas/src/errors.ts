import type { z } from 'zod';

/** One validation problem: where (a dotted/bracketed path) and what was expected. */
export interface Problem {
  path: string;
  message: string;
}

/** Renders a zod issue path the way people read it: `agents[3].scope.tools[0]`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    // A key that is not valid Unicode (a rejected attribute key) is shown JSON-escaped, so the path itself is valid text.
    else if (typeof seg === 'string' && !seg.isWellFormed()) out += `[${JSON.stringify(seg)}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out === '' ? '(root)' : out;
}

/**
 * Turns a zod error into problems that name the field and the expectation. Unknown keys are reported
 * one per key, at the key's own path, so "unknown key `colour`" points at the exact spot.
 */
export function toProblems(error: z.ZodError): Problem[] {
  const problems: Problem[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push({ path: formatPath([...issue.path, key]), message: `unknown key "${key}"` });
      continue;
    }
    if (issue.code === 'invalid_key') {
      // zod says only "Invalid key in record"; the key's own problem is the useful part.
      const inner = issue.issues[0]?.message;
      problems.push({ path: formatPath(issue.path), message: inner ? `key: ${inner}` : issue.message });
      continue;
    }
    problems.push({ path: formatPath(issue.path), message: issue.message });
  }
  return problems;
}

/** `path: message; path: message` — one line, for logs and per-line replay errors. */
export const problemsToString = (problems: Problem[]): string => problems.map((p) => `${p.path}: ${p.message}`).join('; ');
