import { readFileSync } from 'node:fs';
import { type FileSuppression, parseSuppressionFile, SuppressionFileError, SuppressionHits, SuppressionSet } from '@agentwatch/detections';
import { CliError } from '../load.ts';

/** `replay --suppressions FILE`: the set the engine applies, and the hits counted from what it emitted. */
export interface ReplaySuppressions {
  list: FileSuppression[];
  set: SuppressionSet;
  hits: SuppressionHits;
  /** Per suppression (file order): alerts it suppressed and the event time of the last (hits as live, suppression-hits.ts). */
  summary(): Record<string, { hits: number; last_hit: string | null }>;
}

/** Reads and checks a suppressions file; CliError (exit 1) naming each bad entry and field, or an unreadable file. */
export function readSuppressionsFile(file: string): ReplaySuppressions {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read suppressions ${file}: ${(e as Error).message}`);
  }
  let list: FileSuppression[];
  try {
    list = parseSuppressionFile(text, file);
  } catch (e) {
    if (e instanceof SuppressionFileError) throw new CliError(`invalid suppressions ${file}: ${e.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
    throw e;
  }
  const hits = new SuppressionHits();
  return {
    list,
    set: new SuppressionSet(list),
    hits,
    summary: () =>
      Object.fromEntries(
        list.map((s) => {
          const h = hits.get(s.id);
          return [s.id, { hits: h.hits, last_hit: h.lastHitMs === null ? null : new Date(h.lastHitMs).toISOString() }];
        }),
      ),
  };
}
