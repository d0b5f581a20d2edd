// The soak's fault schedule: a pure function of (seed, faults), so a failing run is reproduced by its seed alone.
import { mulberry32 } from '../support/prng.ts';

/** Collector processes of the one consumer group (each with its own data dir, as on separate machines). */
export const MEMBERS = ['a', 'b', 'c'] as const;
export type Member = (typeof MEMBERS)[number];

export type StoreFault = 'store-fail-writes' | 'store-lose-acks' | 'store-unreachable';

export type FaultStep =
  /** SIGKILL the collector, start it again on the same data dir after `downMs`. */
  | { kind: 'kill'; member: Member; downMs: number }
  /** SIGTERM a collector (three members become two). */
  | { kind: 'leave'; member: Member }
  /** Start a stopped collector (two members become three). */
  | { kind: 'join'; member: Member }
  /** Stop the broker (its data kept) and start it again after `downMs`. */
  | { kind: 'broker-restart'; downMs: number }
  /** The collector's store refuses writes / loses write answers / is unreachable for `forMs`. */
  | { kind: StoreFault; member: Member; forMs: number };

export type FaultKind = FaultStep['kind'];
export const FAULT_KINDS: readonly FaultKind[] = ['kill', 'leave', 'join', 'broker-restart', 'store-fail-writes', 'store-lose-acks', 'store-unreachable'];

export interface ScheduledStep {
  /** Wait this long after the previous step was started (steps on one collector or on the broker run in order). */
  afterMs: number;
  step: FaultStep;
}

export interface Schedule {
  seed: number;
  /** The members running at the start (the others join later, if at all). */
  initial: Member[];
  steps: ScheduledStep[];
}

export interface ScheduleOptions {
  seed: number;
  /** Number of fault steps (at least 7: one of each kind, the membership changes counting as two). */
  faults: number;
  /** Range of the pause between steps (default 1.5 to 6 s). */
  gapMs?: [number, number];
}

type Draw = 'kill' | 'membership' | 'broker-restart' | StoreFault;
/** Weights of the random draws beyond the one-of-each. */
const WEIGHTS: Array<[Draw, number]> = [
  ['kill', 5],
  ['membership', 3],
  ['broker-restart', 2],
  ['store-fail-writes', 2],
  ['store-lose-acks', 2],
  ['store-unreachable', 2],
];

/**
 * `faults` steps: each kind at least once, the rest drawn by weight, in a seeded random order. Membership stays
 * between two and three collectors (a and b start; a join or a leave is whichever keeps it so); kills and store faults
 * hit one of the collectors running at that point.
 */
export function soakSchedule(o: ScheduleOptions): Schedule {
  if (!Number.isInteger(o.faults) || o.faults < 7) throw new RangeError(`faults must be an integer >= 7, got ${o.faults}`);
  const rnd = mulberry32(o.seed);
  const [gapMin, gapMax] = o.gapMs ?? [1500, 6000];
  const between = (lo: number, hi: number) => Math.round(lo + rnd() * (hi - lo));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;

  const draws: Draw[] = ['kill', 'membership', 'membership', 'broker-restart', 'store-fail-writes', 'store-lose-acks', 'store-unreachable'];
  const total = WEIGHTS.reduce((n, [, w]) => n + w, 0);
  while (draws.length < o.faults) {
    let r = rnd() * total;
    let hit: Draw = 'kill';
    for (const [d, w] of WEIGHTS) {
      r -= w;
      if (r < 0) {
        hit = d;
        break;
      }
    }
    draws.push(hit);
  }
  // Fisher-Yates with the seeded generator.
  for (let i = draws.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [draws[i], draws[j]] = [draws[j] as Draw, draws[i] as Draw];
  }

  const initial: Member[] = ['a', 'b'];
  const running = new Set<Member>(initial);
  const steps: ScheduledStep[] = draws.map((d) => {
    const afterMs = between(gapMin, gapMax);
    const live = MEMBERS.filter((m) => running.has(m));
    if (d === 'membership') {
      if (running.size <= 2) {
        const member = pick(MEMBERS.filter((m) => !running.has(m)));
        running.add(member);
        return { afterMs, step: { kind: 'join', member } };
      }
      const member = pick(live);
      running.delete(member);
      return { afterMs, step: { kind: 'leave', member } };
    }
    if (d === 'kill') return { afterMs, step: { kind: 'kill', member: pick(live), downMs: between(0, 4000) } };
    if (d === 'broker-restart') return { afterMs, step: { kind: 'broker-restart', downMs: between(1000, 8000) } };
    return { afterMs, step: { kind: d, member: pick(live), forMs: between(1000, 6000) } };
  });
  return { seed: o.seed, initial, steps };
}

/** How many steps of each kind a schedule holds. */
export function countByKind(steps: readonly ScheduledStep[]): Record<FaultKind, number> {
  const out = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  for (const { step } of steps) out[step.kind]++;
  return out;
}
