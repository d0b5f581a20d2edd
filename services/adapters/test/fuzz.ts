// Seeded fuzzing shared by the adapter tests: the same failures on every run.

export { mulberry32 } from '../../../test/support/prng.ts';

/** Values no field expects: each adapter test adds values that look almost right for its format. */
export const HOSTILE_VALUES: readonly unknown[] = [
  null,
  undefined,
  0,
  -1,
  1e308,
  Number.NaN,
  '',
  ' ',
  'x'.repeat(10_000),
  true,
  [],
  [1, 'a'],
  {},
  { a: { b: [] } },
  '2026-11-02T09:00:00Z',
];

/**
 * A mutator that replaces, deletes or adds 1..3 values at random places of a record (in place), drawing values from
 * `hostile`; 5% of the time it returns a hostile value instead of the record.
 */
export function mutator(hostile: readonly unknown[]): (record: unknown, rand: () => number) => unknown {
  return (record, rand) => {
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    if (rand() < 0.05) return pick(hostile);
    const edits = 1 + Math.floor(rand() * 3);
    for (let n = 0; n < edits; n++) {
      let cur = record as Record<string, unknown>;
      for (let depth = 0; depth < 6; depth++) {
        if (typeof cur !== 'object' || cur === null) break;
        const keys = Object.keys(cur);
        if (keys.length === 0) break;
        const key = pick(keys);
        const next = cur[key];
        if (typeof next !== 'object' || next === null || rand() < 0.3) {
          if (rand() < 0.3) delete cur[key];
          else cur[key] = pick(hostile);
          if (rand() < 0.2) cur[`extra${n}`] = pick(hostile);
          break;
        }
        cur = next as Record<string, unknown>;
      }
    }
    return record;
  };
}
