// Settings shared by the fast-check property tests: seeded, so CI sees the same cases on every run (fast-check
// prints the seed and the shrunk counterexample on failure), and time-boxed, so the whole set stays within about a
// minute on two cores. AGENTWATCH_FC_SEED / AGENTWATCH_FC_RUNS explore other cases locally without editing a test.
import type { Parameters } from 'fast-check';

const env = (name: string): string | undefined => process.env[name];

/** The seed every property runs with, unless AGENTWATCH_FC_SEED is set. */
export const PROPERTY_SEED = Number(env('AGENTWATCH_FC_SEED') ?? 20261124);
const RUNS_FACTOR = Number(env('AGENTWATCH_FC_RUNS') ?? 1);

/**
 * fast-check parameters: `numRuns` cases (scaled by AGENTWATCH_FC_RUNS), stopping early after `seconds` so a slow
 * machine runs fewer cases instead of timing out. An interrupted run is not a failure; a failing case always is.
 */
export function propertyParams<T>(numRuns: number, seconds = 8): Parameters<T> {
  return {
    seed: PROPERTY_SEED,
    numRuns: Math.max(1, Math.round(numRuns * RUNS_FACTOR)),
    interruptAfterTimeLimit: seconds * 1000,
    markInterruptAsFailure: false,
    endOnFailure: false,
  };
}
