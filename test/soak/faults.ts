// The soak's fault actions: one function per step kind of the schedule (schedule.ts), on real processes.

import type { SoakBroker } from './broker.ts';
import type { FleetProducer } from './fleet-producer.ts';
import type { SoakMembers } from './members.ts';
import type { FaultKind, FaultStep } from './schedule.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface FaultContext {
  broker: SoakBroker;
  members: SoakMembers;
  producer: FleetProducer;
  /** Faults injected so far, by kind (counted when the fault took effect). */
  injected: Record<FaultKind, number>;
  /** How each SIGTERM of a `leave` ended (null: the collector was not running). */
  stops: Array<{ member: string; exit: { code: number | null; signal: NodeJS.Signals | null; tail: string } | null }>;
  log: (line: string) => void;
}

/** Broker steps run one after another too. */
let brokerChain: Promise<unknown> = Promise.resolve();

/**
 * Starts `step` and returns its promise. Steps on one collector (or on the broker) run in order; steps on different
 * ones overlap, so a collector may be killed while the broker is away or another collector's store fails.
 */
export function startFault(step: FaultStep, c: FaultContext): Promise<void> {
  const done = () => {
    c.injected[step.kind]++;
  };
  switch (step.kind) {
    case 'broker-restart': {
      const run = async () => {
        await c.producer.pause();
        c.log(`broker: stop, start again after ${step.downMs} ms (data kept)`);
        const t0 = Date.now();
        try {
          await c.broker.restart(step.downMs);
          done();
        } finally {
          c.producer.resume();
        }
        c.log(`broker: serving again after ${Date.now() - t0} ms`);
      };
      const next = brokerChain.then(run, run);
      brokerChain = next.catch(() => undefined);
      return next;
    }
    case 'kill':
      return c.members.queue(step.member, async () => {
        if (!c.members.running(step.member)) await c.members.start(step.member);
        c.log(`${step.member}: SIGKILL, restart after ${step.downMs} ms`);
        await c.members.kill(step.member);
        done();
        await sleep(step.downMs);
        await c.members.start(step.member);
        c.log(`${step.member}: listening again`);
      });
    case 'leave':
      return c.members.queue(step.member, async () => {
        const exit = await c.members.stop(step.member);
        done();
        c.stops.push({ member: step.member, exit });
        c.log(
          `${step.member}: left the group (SIGTERM: ${exit ? `exit ${exit.code}, signal ${exit.signal}${exit.tail ? `; ${exit.tail}` : ''}` : 'was not running'})`,
        );
      });
    case 'join':
      return c.members.queue(step.member, async () => {
        c.log(`${step.member}: joining the group`);
        await c.members.start(step.member);
        done();
        c.log(`${step.member}: listening`);
      });
    default: {
      const mode = step.kind === 'store-fail-writes' ? 'fail-writes' : step.kind === 'store-lose-acks' ? 'lose-acks' : 'unreachable';
      return c.members.queue(step.member, async () => {
        if (!c.members.running(step.member)) await c.members.start(step.member);
        c.log(`${step.member}: store ${mode} for ${step.forMs} ms`);
        c.members.setStoreFault(step.member, mode);
        done();
        await sleep(step.forMs);
        c.members.setStoreFault(step.member, 'none');
      });
    }
  }
}
