/** One line of labels.ndjson (alias of {@link AttackLabel}). */
export type { AttackLabel, AttackLabel as Label } from './attacks.ts';
export { Rng } from './rng.ts';
export {
  DEFAULT_EVENTS_PER_AGENT_DAY,
  DEFAULT_START,
  type SimulateOptions,
  type SimulateResult,
  type SimulationSummary,
  simulateFleet,
} from './simulate.ts';
