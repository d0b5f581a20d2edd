// Scale-out test for `agentwatch up` with KAFKA_BROKERS against a real broker: two collector processes in one
// consumer group (own data dirs, as on two machines) split the events topic's partitions; one is killed with
// SIGKILL mid-stream, while it has a backlog, and the other takes its partitions over, with their state, from the
// checkpoints topic. The alerts topic (what downstream consumers and the SIEM see) then holds, as the latest version
// of each alert id, exactly the alerts replay gives for the same events: none lost, none duplicated, counts not
// inflated by the re-read. Every event is stored (in one of the two stores; a shared ClickHouse server would collapse
// the re-read overlap by event_id). The case of a collector killed while caught up, followed by a burst, is
// test/up-two-collectors-caught-up.kafka.test.ts.
import { describe, expect, it } from 'vitest';
import { kafkaBrokersOrFail } from './support/kafka-suite.ts';
import { pickVictim, twoCollectors } from './support/two-collectors.ts';
import { waitFor } from './support/up-process.ts';

const brokers = kafkaBrokersOrFail('agentwatch up, two collectors (Kafka)');

describe.skipIf(brokers.length === 0)('agentwatch up (Kafka): two collectors in one group, one killed', () => {
  const h = twoCollectors(brokers, 'aw-two');

  it('the partitions are split, and killing one collector hands its agents to the other without lost or duplicated alerts', async () => {
    const events = h.events();
    // 1. Two collectors join the group; both must hold partitions before any event is sent.
    const started = await h.startBoth();
    const { a, b, split } = started;
    // The collector to kill: the one whose partitions hold token facts (after the first third) that alerts on the
    // other one's partitions depend on.
    const { victim, survivor, atRisk } = pickVictim(h, started, Math.floor(events.length / 3));
    expect(atRisk.length, 'no alert depends on a fact the killed collector alone reads: the test would prove nothing').toBeGreaterThan(0);

    // 2. The whole stream; wait until both have checkpointed (committed) part of it, a third of the whole at least,
    //    and kill the victim while it is still consuming (it has a backlog).
    await h.produce(events);
    const atKill = await waitFor(
      'both collectors to commit a third of the stream',
      async () => {
        const by = await h.committedByPartition();
        const total = [...by.values()].reduce((n, o) => n + Math.max(0, o), 0);
        const both = split.a.some((p) => (by.get(p) ?? -1) > 0) && split.b.some((p) => (by.get(p) ?? -1) > 0);
        return both && total * 3 >= events.length ? total : null;
      },
      180_000,
      () => a.stderr().slice(-2000) + b.stderr().slice(-2000),
    );
    victim.up.proc.kill('SIGKILL');
    expect((await victim.up.exited).signal).toBe('SIGKILL');
    expect(atKill, 'the victim was killed after the whole topic was consumed: not mid-stream').toBeLessThan(events.length);
    const tKill = performance.now();

    // 3. The survivor takes the victim's partitions over (after the session timeout) and consumes to the end of every
    //    partition; the alerts topic and the stores equal replay's.
    const summary = await h.verifyTakeover({ killed: victim, survivor, tKill });
    console.info(
      `up two collectors: ${events.length} events, split A ${JSON.stringify(split.a)} / B ${JSON.stringify(split.b)}; ${victim.name.toUpperCase()} killed with ${atKill} offsets committed (group total; alerts depending on its unread facts: ${atRisk.join(', ')}); ${summary}`,
    );
  }, 600_000);
});
