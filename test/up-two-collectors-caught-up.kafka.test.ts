// Two collectors in one group (see test/support/two-collectors.ts), one killed with SIGKILL while it is *caught up*
// and has been idle for a while, then the rest of the stream arrives as a burst for every partition. The survivor
// races through the backlog on its own partitions while token facts (issued/revoked) sit unread on the dead
// collector's partitions, whose last reports said "processed up to the end". The offsets answer (GroupHorizon): the
// burst moves those partitions' end offsets past the dead owner's last processed offsets, so they hold the fact
// horizon, with no timer, until their new owner has read them. The idle stretch is longer than the wall-clock rules
// this replaced could cover (a partition idle for more than their "moved within" time, 2 x session timeout + 30 s
// minus the 5 s silence, stopped holding: the gap docs/architecture.md admitted). The alerts topic must still hold
// exactly replay's alerts as the latest version per id.
import { describe, expect, it } from 'vitest';
import { kafkaBrokersOrFail } from './support/kafka-suite.ts';
import { pickVictim, twoCollectors } from './support/two-collectors.ts';
import { waitFor } from './support/up-process.ts';

/** Caught up and idle this long before the kill: past the old rules' 41 s (8 s session timeout: 2 x 8 + 30 - 5). */
const IDLE_MS = 45_000;

const brokers = kafkaBrokersOrFail('agentwatch up, two collectors, one killed while caught up (Kafka)');

describe.skipIf(brokers.length === 0)('agentwatch up (Kafka): two collectors in one group, one killed while caught up', () => {
  const h = twoCollectors(brokers, 'aw-two-idle');

  it('a collector killed while caught up and idle, then a burst for every partition: no token alert lost or duplicated', async () => {
    const events = h.events();
    const half = Math.floor(events.length / 2);
    const started = await h.startBoth();
    const { a, b, split } = started;

    // The collector to kill: the one whose partitions hold second-half token facts that alerts on the other one's
    // partitions depend on (a token issued on one partition, used by an agent keyed to another).
    const { victim, survivor, atRisk } = pickVictim(h, started, half);
    expect(atRisk.length, 'no alert depends on a fact the killed collector alone reads: the test would prove nothing').toBeGreaterThan(0);

    // 1. The first half; both collectors read and checkpoint (commit) all of it: caught up, live.
    await h.produce(events.slice(0, half));
    const ends = await h.endOffsets();
    await waitFor(
      'both collectors to commit the end of the first half on every partition',
      async () => {
        const committed = await h.committedByPartition();
        return [...ends].every(([p, end]) => committed.get(p) === end) ? true : null;
      },
      180_000,
      () => a.stderr().slice(-2000) + b.stderr().slice(-2000),
    );

    // 2. Idle, then kill the victim while it is caught up (its last reports say: processed to the end), then the
    //    second half as a burst for every partition.
    await new Promise((r) => setTimeout(r, IDLE_MS));
    victim.up.proc.kill('SIGKILL');
    expect((await victim.up.exited).signal).toBe('SIGKILL');
    const tKill = performance.now();
    await h.produce(events.slice(half));
    const tProduced = performance.now() - tKill;

    // 3. The survivor takes the victim's partitions over and reads everything; the alerts topic and the stores equal
    //    replay's.
    const summary = await h.verifyTakeover({ killed: victim, survivor, tKill });
    console.info(
      `up two collectors, killed while caught up: ${events.length} events, split A ${JSON.stringify(split.a)} / B ${JSON.stringify(split.b)}; ${victim.name.toUpperCase()} killed ${IDLE_MS / 1000} s after committing the first ${half} (alerts depending on its unread facts: ${atRisk.join(', ')}); second half produced ${Math.round(tProduced)} ms after the kill; ${summary}`,
    );
  }, 660_000);
});
