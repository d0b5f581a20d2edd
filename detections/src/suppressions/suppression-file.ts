import { createHash } from 'node:crypto';
import { type Problem, SuppressionFileEntry, type SuppressionRule, toProblems } from '@agentwatch/schemas';
import { parse } from 'yaml';
import { compileMatchGlobs, SuppressionGlobError } from './suppression-set.ts';

/** Thrown by {@link parseSuppressionFile}: every problem of the file, each naming the entry and the field. */
export class SuppressionFileError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly Problem[],
  ) {
    super(`${source}: ${problems.length} problem(s): ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
    this.name = 'SuppressionFileError';
  }
}

/** A suppression read from a file: what replay needs to apply it and name it. */
export type FileSuppression = Pick<SuppressionRule, 'id' | 'match' | 'reason' | 'expires_at'>;

/** The id of a file entry without one: derived from what it matches, so two replays of one file name alike. */
function derivedId(e: SuppressionFileEntry): string {
  return `file-${createHash('sha256')
    .update(JSON.stringify([e.match, e.reason, e.expires_at]))
    .digest('hex')
    .slice(0, 16)}`;
}

/**
 * Reads a `replay --suppressions FILE` document (cli.md 1.1): a YAML or JSON list of suppressions (alerts.md), or
 * GET /v1/suppressions' answer `{"suppressions": [...]}`. Every entry is checked (a match field, a known key, a
 * non-empty reason, an RFC 3339 expires_at, globs that compile) and every problem reported at once as
 * `[i] (id X).field: message`; entries with `deleted_at` set are left out (a deleted suppression hides nothing).
 * Throws {@link SuppressionFileError}.
 */
export function parseSuppressionFile(text: string, source: string): FileSuppression[] {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new SuppressionFileError(source, [{ path: '(file)', message: `not valid YAML or JSON: ${(e as Error).message.split('\n')[0]}` }]);
  }
  const list = Array.isArray(doc)
    ? doc
    : doc !== null && typeof doc === 'object' && Array.isArray((doc as Record<string, unknown>)['suppressions'])
      ? (doc as { suppressions: unknown[] }).suppressions
      : null;
  if (list === null) throw new SuppressionFileError(source, [{ path: '(file)', message: 'expected a list of suppressions (or {"suppressions": [...]})' }]);
  const problems: Problem[] = [];
  const out: FileSuppression[] = [];
  const ids = new Map<string, number>();
  list.forEach((raw, i) => {
    const named =
      raw !== null && typeof raw === 'object' && typeof (raw as Record<string, unknown>)['id'] === 'string' ? ` (id ${(raw as { id: string }).id})` : '';
    const at = (field: string) => `[${i}]${named}${field === '(root)' ? '' : `.${field}`}`;
    const r = SuppressionFileEntry.safeParse(raw);
    if (!r.success) {
      for (const p of toProblems(r.error)) problems.push({ path: at(p.path), message: p.message });
      return;
    }
    const e = r.data;
    try {
      compileMatchGlobs(e.match);
    } catch (err) {
      if (err instanceof SuppressionGlobError) {
        problems.push({ path: at(err.field), message: err.message.slice(err.field.length + 2) });
        return;
      }
      throw err;
    }
    if (e.deleted_at !== undefined && e.deleted_at !== null) return;
    const id = e.id ?? derivedId(e);
    const dup = ids.get(id);
    if (dup !== undefined) {
      problems.push({ path: at('id'), message: `the same id as entry [${dup}]` });
      return;
    }
    ids.set(id, i);
    out.push({ id, match: e.match, reason: e.reason, expires_at: e.expires_at });
  });
  if (problems.length > 0) throw new SuppressionFileError(source, problems);
  return out;
}
