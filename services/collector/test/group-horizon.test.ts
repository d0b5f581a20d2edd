import { describe, expect, it } from 'vitest';
import { GroupHorizon, newestPlausible, type PartitionProgress } from '../src/group-horizon.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T = Date.parse('2026-03-02T10:00:00Z');
const INF = Number.POSITIVE_INFINITY;

const progress = (partition: number, nextOffset: number, timeMs: number | null, endOffset = nextOffset): PartitionProgress => ({
  partition,
  nextOffset: String(nextOffset),
  timeMs,
  endOffset: String(endOffset),
  atMs: 0,
});

/** A collector reading partition 0 of a 3-partition topic; partitions 1 and 2 are read by another collector. */
function group(): GroupHorizon {
  const h = new GroupHorizon({ maxSkewMs: 10 * MIN });
  h.assign([0]);
  return h;
}

/** An end-offset read (admin.fetchTopicOffsets) begun now and answered with these ends. */
function readEnds(h: GroupHorizon, ends: Record<number, number>): void {
  const read = h.beginEndsRead();
  h.endsRead(
    read,
    Object.entries(ends).map(([p, high]) => ({ partition: Number(p), high: String(high) })),
  );
}

describe('GroupHorizon: the fact horizon from offsets', () => {
  it('a partition behind its end offset holds the horizon at its position; one that reached its end holds nothing', () => {
    const h = group();
    h.fetched(0, 500n);
    h.observe(0, 100n, T + 30 * MIN);
    h.report(progress(1, 40, T));
    h.report(progress(2, 70, T + 5 * MIN));
    const since = h.readsSoFar();
    readEnds(h, { 0: 500, 1: 90, 2: 70 });
    // Partition 1: 40 of 90 processed (behind). Partition 2: at its end (idle). Partition 0: the batch's own, behind.
    expect(h.factHorizon(0, since)).toBe(T);
    h.report(progress(1, 90, T + 2 * MIN));
    expect(h.factHorizon(0, since)).toBe(T + 30 * MIN);
    // This collector's partition reaches its end too: nothing holds.
    h.observe(0, 500n, T + 40 * MIN);
    expect(h.factHorizon(0, since)).toBe(INF);
  });

  it('idleness is believed only from an end offset read after the batch arrived', () => {
    const h = group();
    h.fetched(0, 10n);
    h.observe(0, 10n, T + 30 * MIN);
    readEnds(h, { 0: 10, 1: 50 });
    h.report(progress(1, 50, T));
    // A batch arrives now: partition 1 looked idle at the last read, but messages may have landed on it since.
    const since = h.readsSoFar();
    expect(h.needsEnds(0, since)).toBe(true);
    expect(h.factHorizon(0, since)).toBe(T);
    // A read begun after the batch arrived: still at its end, so idle.
    readEnds(h, { 0: 10, 1: 50 });
    expect(h.needsEnds(0, since)).toBe(false);
    expect(h.factHorizon(0, since)).toBe(INF);
    // Or it moved: behind, it holds.
    const later = h.readsSoFar();
    readEnds(h, { 0: 10, 1: 80 });
    expect(h.needsEnds(0, later)).toBe(false);
    expect(h.factHorizon(0, later)).toBe(T);
  });

  it('before any end offset was read every partition holds, and a read is asked for', () => {
    const h = group();
    h.report(progress(1, 50, T));
    expect(h.needsEnds(0, h.readsSoFar())).toBe(true);
    expect(h.factHorizon(0, h.readsSoFar())).toBe(T);
    // A partition nobody reported, with messages: nothing is known processed, so it holds at no time at all.
    const since = h.readsSoFar();
    readEnds(h, { 0: 0, 1: 50, 2: 7, 3: 0 });
    expect(h.factHorizon(0, since)).toBe(Number.NEGATIVE_INFINITY);
    // Its owner reports it processed to its end: nothing holds (partition 3, empty, never did).
    h.report(progress(2, 7, T + MIN));
    expect(h.factHorizon(0, since)).toBe(INF);
  });

  it('kill while caught up, then a burst: the dead owner last report holds the horizon as soon as the end moves, with no timer', () => {
    const h = group();
    h.fetched(0, 1_000n);
    h.observe(0, 1_000n, T + 2 * HOUR);
    // The other collector's partitions are caught up (processed = end) and have been idle for a long time: the
    // wall-clock rules it replaces ("moved within", silence) could not tell this from an idle partition whose owner
    // lives. Then its owner dies (no more reports, ever), and a burst lands on every partition.
    h.report(progress(1, 800, T + HOUR));
    h.report(progress(2, 900, T + 90 * MIN));
    readEnds(h, { 0: 1_000, 1: 800, 2: 900 });
    expect(h.factHorizon(0, h.readsSoFar() - 1)).toBe(INF);
    // The burst: this collector's fetch sees it first, before any read of the other partitions' ends.
    h.fetched(0, 3_000n);
    const since = h.readsSoFar();
    // Partitions 1 and 2 look idle by a read from before the batch: they hold (and a read is asked for).
    expect(h.needsEnds(0, since)).toBe(true);
    expect(h.factHorizon(0, since)).toBe(T + HOUR);
    h.observe(0, 1_400n, T + 5 * HOUR);
    // The read: their ends moved past the dead owner's last processed offsets. They hold, however long it takes.
    readEnds(h, { 0: 3_000, 1: 1_300, 2: 1_350 });
    for (let i = 0; i < 3; i++) {
      const s = h.readsSoFar();
      readEnds(h, { 0: 3_000, 1: 1_300, 2: 1_350 });
      expect(h.factHorizon(0, s)).toBe(T + HOUR);
    }
    // The new owner (after the group noticed the death) restored an older checkpoint: its lower offsets do not
    // replace the dead owner's report, which is still true as an offset fact...
    h.report(progress(1, 700, T + 50 * MIN, 1_300));
    expect(h.factHorizon(0, h.readsSoFar())).toBe(T + HOUR);
    // ...until it passes it; then its position holds, until it reaches the end.
    h.report(progress(1, 1_000, T + 3 * HOUR, 1_300));
    h.report(progress(2, 1_350, T + 6 * HOUR, 1_350));
    expect(h.factHorizon(0, h.readsSoFar())).toBe(T + 3 * HOUR);
    h.report(progress(1, 1_300, T + 6 * HOUR, 1_300));
    const s = h.readsSoFar();
    readEnds(h, { 0: 3_000, 1: 1_300, 2: 1_350 });
    expect(h.factHorizon(0, s)).toBe(T + 5 * HOUR);
  });

  it('a partition taken over here is known first-hand once read; until then its last report stands for it', () => {
    const h = group();
    h.report(progress(1, 100, T, 200));
    const since = h.readsSoFar();
    readEnds(h, { 0: 0, 1: 200, 2: 0 });
    h.assign([0, 1]);
    expect(h.factHorizon(0, since)).toBe(T);
    h.fetched(1, 200n);
    h.observe(1, 200n, T + HOUR);
    expect(h.factHorizon(1, since)).toBe(INF);
    // Revoked again: reports count again (the highest offset reported, here still the old owner's).
    h.assign([0]);
    expect(h.behind(1)).toBe(true);
  });

  it("a hostile agent's far-future event times never become a position, so they cannot move the horizon", () => {
    const h = group();
    h.report(progress(1, 10, T));
    // Partition 0's batch: honest events, and one dated 9999 that the engine judged implausible (not believed).
    const batch = [
      { timeMs: T + MIN, plausible: true },
      { timeMs: Date.parse('9999-12-31T00:00:00Z'), plausible: false },
      { timeMs: T + 2 * MIN, plausible: true },
    ];
    h.fetched(0, 100n);
    h.observe(0, 3n, newestPlausible(batch));
    expect(h.position(0)?.timeMs).toBe(T + 2 * MIN);
    const since = h.readsSoFar();
    readEnds(h, { 0: 100, 1: 10, 2: 0 });
    // Partition 0 is behind: it holds the horizon at its honest position, not in 9999.
    expect(h.factHorizon(1, since)).toBe(T + 2 * MIN);
    // A batch of nothing but implausible times leaves the position where it was.
    h.observe(0, 4n, newestPlausible([{ timeMs: Date.parse('9999-01-01T00:00:00Z'), plausible: false }]));
    expect(h.factHorizon(1, since)).toBe(T + 2 * MIN);
    expect(newestPlausible([])).toBe(Number.NEGATIVE_INFINITY);
  });
});

describe('GroupHorizon: facts written by the reporting collector', () => {
  it('a partition reported done holds the horizon until the facts its report stands for are read here', () => {
    let readThrough = 10n;
    const h = new GroupHorizon({ maxSkewMs: 10 * MIN, factsRead: (f) => Object.values(f).every((o) => readThrough >= BigInt(o)) });
    h.assign([0]);
    h.fetched(0, 5n);
    h.observe(0, 5n, T + HOUR);
    // Partition 1's owner processed everything (50 of 50) and wrote its facts up to offset 12 of the tokens topic.
    h.report({ ...progress(1, 50, T), facts: { 0: '12' } });
    const since = h.readsSoFar();
    readEnds(h, { 0: 5, 1: 50 });
    expect(h.factHorizon(0, since)).toBe(T);
    readThrough = 12n;
    expect(h.factHorizon(0, since)).toBe(INF);
  });
});

describe('GroupHorizon: pacing by the partitions that are behind', () => {
  it('holds a partition to the slowest other partition behind its end, plus the allowance', () => {
    const h = new GroupHorizon({ maxSkewMs: 10 * MIN });
    h.assign([0, 1]);
    h.fetched(0, 100n);
    h.fetched(1, 100n);
    h.observe(0, 10n, T);
    h.observe(1, 10n, T + 5 * MIN);
    expect(h.limitFor(1, T + 5 * MIN)).toBe(T + 10 * MIN);
    // The slowest partition is held only by the others.
    expect(h.limitFor(0, T)).toBe(T + 15 * MIN);
    // At its end: it holds nobody back.
    h.observe(0, 100n, T);
    expect(h.limitFor(1, T + 5 * MIN)).toBe(INF);
  });

  it('a partition nobody has a position for yet does not hold the pacing (at the start every one would wait)', () => {
    const h = group();
    readEnds(h, { 0: 100, 1: 100, 2: 100 });
    h.fetched(0, 100n);
    h.observe(0, 10n, T);
    expect(h.limitFor(0, T)).toBe(INF);
    // The fact horizon does count them: nothing of theirs is known processed.
    expect(h.factHorizon(0, 0)).toBe(Number.NEGATIVE_INFINITY);
  });

  it('a partition seen for the first time goes at most the allowance past its own first event', () => {
    const h = new GroupHorizon({ maxSkewMs: 10 * MIN });
    h.assign([0]);
    expect(h.limitFor(0, T)).toBe(T + 10 * MIN);
  });

  it('is held by partitions other collectors report behind; resumes once they moved on by half the allowance', () => {
    const h = group();
    h.fetched(0, 100n);
    h.observe(0, 10n, T + 10 * MIN);
    h.report(progress(1, 5, T, 50));
    expect(h.limitFor(0, T + 10 * MIN)).toBe(T + 10 * MIN);
    h.pause(0);
    expect(h.paused()).toEqual([0]);
    expect(h.plan().resume).toEqual([]);
    h.report(progress(1, 10, T + 4 * MIN, 50));
    expect(h.plan().resume).toEqual([]);
    h.report(progress(1, 20, T + 6 * MIN, 50));
    expect(h.plan().resume).toEqual([0]);
    expect(h.paused()).toEqual([]);
    // Caught up: nothing holds the pacing.
    h.report(progress(1, 50, T + 7 * MIN, 50));
    expect(h.limitFor(0, T + 10 * MIN)).toBe(INF);
  });
});

describe('GroupHorizon: pauses and rebalances', () => {
  /**
   * kafkajs keeps a partition paused across rebalances (its paused set is not tied to the assignment): modelled
   * here as the consumer the collector pauses and resumes as the horizon says.
   */
  function consumer(h: GroupHorizon) {
    const paused = new Set<number>();
    return {
      paused,
      pause(p: number) {
        // (Before GroupHorizon.pause said whether it paused, the collector paused the consumer in any case.)
        if ((h.pause(p) as boolean | undefined) !== false) paused.add(p);
      },
      plan() {
        for (const p of h.plan().resume) paused.delete(p);
      },
    };
  }

  it('a partition paused, taken away and given back is resumed in the consumer (the soak stall: it stayed paused for good)', () => {
    const h = new GroupHorizon({ maxSkewMs: 10 * MIN });
    const c = consumer(h);
    h.assign([0, 1]);
    readEnds(h, { 0: 100, 1: 100 });
    // Partition 1 is slow; partition 0 is cut at its limit and paused until 1 catches up.
    h.observe(1, 10n, T);
    h.observe(0, 10n, T + 20 * MIN);
    c.pause(0);
    c.plan();
    expect([...c.paused]).toEqual([0]);
    // A rebalance takes 0 away, the next one gives it back (a collector left and came back).
    h.assign([1]);
    c.plan();
    h.assign([0, 1]);
    c.plan();
    // Partition 1 catches up: nothing holds 0 back any more, and the consumer fetches it.
    h.observe(1, 100n, T + 30 * MIN);
    c.plan();
    expect([...c.paused]).toEqual([]);
    expect(h.paused()).toEqual([]);
  });

  it('a partition taken away while paused is resumed at once, whoever reads it next', () => {
    const h = new GroupHorizon({ maxSkewMs: 10 * MIN });
    const c = consumer(h);
    h.assign([0, 1]);
    readEnds(h, { 0: 100, 1: 100 });
    h.observe(1, 10n, T);
    h.observe(0, 10n, T + 20 * MIN);
    c.pause(0);
    h.assign([1]);
    c.plan();
    expect([...c.paused]).toEqual([]);
    // Resumed once: not again at the next plan.
    expect(h.plan().resume).toEqual([]);
  });

  it('dropped from the group and given the same partitions back: what another owner reported meanwhile replaces the stale first-hand position (the soak stall, seed 17)', () => {
    const h = new GroupHorizon({ maxSkewMs: 10 * MIN });
    const c = consumer(h);
    h.assign([0, 1]);
    readEnds(h, { 0: 100, 1: 100 });
    // Read here up to offset 40 of partition 1 (and 10 of partition 0, far ahead in event time).
    h.observe(1, 40n, T);
    h.observe(0, 10n, T + 20 * MIN);
    // This member missed its session; the group gave both partitions to another collector, which read partition 1
    // to its end and reported it; then this member came back with the same partitions (no revocation seen here).
    h.report(progress(1, 100, T + 30 * MIN, 100));
    h.assign([0, 1]);
    // Partition 1 has nothing more to fetch, so no batch of it comes to update the first-hand position: the report
    // says it is done, and partition 0 is not held back by it.
    expect(h.behind(1)).toBe(false);
    expect(h.limitFor(0, T + 20 * MIN)).toBe(INF);
    c.pause(0);
    c.plan();
    expect([...c.paused]).toEqual([]);
    // Nor does it hold the fact horizon (only partition 0's own position, behind its end, does).
    expect(h.factHorizon(0, h.readsSoFar() - 1)).toBe(T + 20 * MIN);
  });

  it('a first-hand position ahead of the reports stands (this collector read further than anyone reported)', () => {
    const h = new GroupHorizon({ maxSkewMs: 10 * MIN });
    h.assign([0, 1]);
    readEnds(h, { 0: 100, 1: 100 });
    h.report(progress(1, 20, T, 100));
    h.observe(1, 60n, T + 5 * MIN);
    h.observe(0, 100n, T + 20 * MIN);
    expect(h.factHorizon(0, h.readsSoFar() - 1)).toBe(T + 5 * MIN);
    expect(h.limitFor(0, T + 20 * MIN)).toBe(T + 15 * MIN);
  });

  it('a partition not read here is not paused (a batch that ends after its partition was taken away)', () => {
    const h = new GroupHorizon({ maxSkewMs: 10 * MIN });
    const c = consumer(h);
    h.assign([1]);
    c.pause(0);
    expect([...c.paused]).toEqual([]);
  });
});
