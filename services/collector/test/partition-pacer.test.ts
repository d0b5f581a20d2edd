import { describe, expect, it } from 'vitest';
import { PartitionPacer } from '../src/partition-pacer.ts';

const MIN = 60_000;
const T = Date.parse('2026-03-02T10:00:00Z');
const NOW = 1_000_000;

describe('PartitionPacer', () => {
  const pacer = () => new PartitionPacer({ maxSkewMs: 10 * MIN, staleMs: 60_000 });

  it('holds a partition to the slowest other backlogged partition it reads, plus the allowance', () => {
    const p = pacer();
    p.assign([0, 1]);
    p.observe(0, T, true);
    p.observe(1, T + 5 * MIN, true);
    expect(p.limitFor(1, T + 5 * MIN, NOW)).toBe(T + 10 * MIN);
    // The slowest partition is held only by the others: it can always go on.
    expect(p.limitFor(0, T, NOW)).toBe(T + 15 * MIN);
    // Caught up (no backlog): it no longer holds anyone back.
    p.observe(0, T, false);
    expect(p.limitFor(1, T + 5 * MIN, NOW)).toBe(Number.POSITIVE_INFINITY);
  });

  it('a partition seen for the first time goes at most the allowance past its own first event', () => {
    const p = pacer();
    p.assign([0]);
    expect(p.limitFor(0, T, NOW)).toBe(T + 10 * MIN);
  });

  it('is held back by partitions other collectors report, but not by stale or caught-up reports', () => {
    const p = pacer();
    p.assign([0]);
    p.observe(0, T + 30 * MIN, true);
    p.report({ partition: 1, timeMs: T, backlog: true, atMs: NOW - 1000 });
    expect(p.limitFor(0, T + 30 * MIN, NOW)).toBe(T + 10 * MIN);
    // The report's owner went silent longer than staleMs: the group goes on without it.
    expect(p.limitFor(0, T + 30 * MIN, NOW + 60_000)).toBe(Number.POSITIVE_INFINITY);
    p.report({ partition: 2, timeMs: T - 5 * MIN, backlog: false, atMs: NOW });
    expect(p.limitFor(0, T + 30 * MIN, NOW)).toBe(T + 10 * MIN);
  });

  it('a partition whose reports went silent holds the group at its last position, whatever it last said', () => {
    // The silence rule alone (movedWithinMs 0: no conservative fact horizon, see below).
    const p = new PartitionPacer({ maxSkewMs: 10 * MIN, staleMs: 60_000, silentMs: 5_000, movedWithinMs: 0 });
    p.assign([0]);
    p.observe(0, T + 30 * MIN, true);
    // Caught up when last heard of: no hold while its owner keeps reporting...
    p.report({ partition: 1, timeMs: T, backlog: false, atMs: NOW });
    expect(p.groupFloor(NOW + 1_000)).toBe(T + 30 * MIN);
    expect(p.limitFor(0, T + 30 * MIN, NOW + 1_000)).toBe(Number.POSITIVE_INFINITY);
    // ...but silent past silentMs its owner may be gone with messages arriving unread: it holds (the fact horizon too).
    expect(p.groupFloor(NOW + 6_000)).toBe(T);
    expect(p.limitFor(0, T + 30 * MIN, NOW + 6_000)).toBe(T + 10 * MIN);
    // Stale: no longer trusted at all.
    expect(p.limitFor(0, T + 30 * MIN, NOW + 61_000)).toBe(Number.POSITIVE_INFINITY);
  });

  it('keeps the newest report per partition', () => {
    const p = pacer();
    p.assign([0]);
    p.observe(0, T, true);
    p.report({ partition: 1, timeMs: T + 5 * MIN, backlog: true, atMs: NOW });
    p.report({ partition: 1, timeMs: T - 50 * MIN, backlog: true, atMs: NOW - 5000 });
    expect(p.limitFor(0, T, NOW)).toBe(T + 15 * MIN);
  });

  it('knows the partitions it reads first-hand: reports about them count only once they are revoked', () => {
    const p = pacer();
    p.assign([0, 1]);
    p.observe(0, T + 20 * MIN, true);
    p.observe(1, T + 20 * MIN, true);
    // Its own earlier report (or a previous owner's) about partition 1, older position.
    p.report({ partition: 1, timeMs: T, backlog: true, atMs: NOW });
    expect(p.limitFor(0, T + 20 * MIN, NOW)).toBe(T + 30 * MIN);
    // Partition 1 moves to another collector: until it reports, its last report stands for it.
    p.assign([0]);
    expect(p.limitFor(0, T + 20 * MIN, NOW)).toBe(T + 10 * MIN);
    // A partition assigned here but not read yet is known from its reports too.
    p.assign([0, 1]);
    expect(p.limitFor(0, T + 20 * MIN, NOW)).toBe(T + 10 * MIN);
  });

  it('resumes a paused partition once reports show the others caught up by half the allowance', () => {
    const p = pacer();
    p.assign([0]);
    p.observe(0, T + 10 * MIN, true);
    p.report({ partition: 1, timeMs: T, backlog: true, atMs: NOW });
    p.pause(0);
    expect(p.paused()).toEqual([0]);
    expect(p.plan(NOW).resume).toEqual([]);
    p.report({ partition: 1, timeMs: T + 4 * MIN, backlog: true, atMs: NOW + 1 });
    expect(p.plan(NOW).resume).toEqual([]);
    p.report({ partition: 1, timeMs: T + 6 * MIN, backlog: true, atMs: NOW + 2 });
    expect(p.plan(NOW).resume).toEqual([0]);
    expect(p.paused()).toEqual([]);
  });

  it('resumes a paused partition when the report holding it back goes stale', () => {
    const p = pacer();
    p.assign([0]);
    p.observe(0, T + 10 * MIN, true);
    p.report({ partition: 1, timeMs: T, backlog: true, atMs: NOW });
    p.pause(0);
    expect(p.plan(NOW + 30_000).resume).toEqual([]);
    expect(p.plan(NOW + 61_000).resume).toEqual([0]);
  });

  describe('conservative fact horizon: caught-up partitions of other collectors that moved recently', () => {
    const opts = { maxSkewMs: 10 * MIN, staleMs: 60_000, silentMs: 5_000 };
    /** Partition 0 read here and catching up on a backlog (a burst), far ahead in event time. */
    const racing = (o: Partial<typeof opts> & { movedWithinMs?: number } = {}) => {
      const p = new PartitionPacer({ ...opts, ...o });
      p.assign([0]);
      p.observe(0, T + 30 * MIN, true);
      return p;
    };
    /** Its owner's reports of partition `partition`, caught up at `timeMs`, every second from `from` to `to`. */
    const heartbeats = (p: PartitionPacer, partition: number, timeMs: number, from: number, to: number) => {
      for (let at = from; at <= to; at += 1_000) p.report({ partition, timeMs, backlog: false, atMs: at });
    };

    it('holds the fact horizon at the reported position while it moves (live traffic), but not the pacing', () => {
      const p = racing();
      p.report({ partition: 1, timeMs: T - MIN, backlog: false, atMs: NOW - 2_000 });
      p.report({ partition: 1, timeMs: T, backlog: false, atMs: NOW });
      expect(p.groupFloor(NOW + 1_000)).toBe(T);
      // Pacing is unchanged: a live partition would hold a catch-up for as long as it keeps moving.
      expect(p.limitFor(0, T + 30 * MIN, NOW + 1_000)).toBe(Number.POSITIVE_INFINITY);
      // It moves on: the horizon follows it, down to the slowest partition with a backlog.
      p.report({ partition: 1, timeMs: T + 10 * MIN, backlog: false, atMs: NOW + 2_000 });
      expect(p.groupFloor(NOW + 2_500)).toBe(T + 10 * MIN);
      p.report({ partition: 1, timeMs: T + 40 * MIN, backlog: false, atMs: NOW + 3_000 });
      expect(p.groupFloor(NOW + 3_500)).toBe(T + 30 * MIN);
      // An older report arriving late changes nothing.
      p.report({ partition: 1, timeMs: T - 50 * MIN, backlog: false, atMs: NOW + 2_900 });
      expect(p.groupFloor(NOW + 3_500)).toBe(T + 30 * MIN);
    });

    it('an idle caught-up partition (position unchanged for movedWithinMs, heartbeats or not) stops holding it', () => {
      const p = racing({ movedWithinMs: 10_000 });
      p.report({ partition: 1, timeMs: T - MIN, backlog: false, atMs: NOW - 1_000 });
      heartbeats(p, 1, T, NOW, NOW + 10_000);
      expect(p.groupFloor(NOW + 10_000)).toBe(T);
      // Heartbeats repeat the position; they do not make it move.
      expect(p.groupFloor(NOW + 10_001)).toBe(T + 30 * MIN);
      heartbeats(p, 1, T, NOW + 11_000, NOW + 20_000);
      expect(p.groupFloor(NOW + 20_000)).toBe(T + 30 * MIN);
      // It moves again: it holds again.
      p.report({ partition: 1, timeMs: T + MIN, backlog: false, atMs: NOW + 21_000 });
      expect(p.groupFloor(NOW + 21_000)).toBe(T + MIN);

      // Default movedWithinMs: staleMs.
      const d = racing();
      heartbeats(d, 1, T, NOW, NOW + 60_000);
      expect(d.groupFloor(NOW + 60_000)).toBe(T);
      expect(d.groupFloor(NOW + 60_001)).toBe(T + 30 * MIN);
    });

    it('a caught-up owner that dies: its moving partition holds the horizon without a gap, from the death through silence until stale', () => {
      for (const idleBeforeDeathMs of [0, 3_000, 20_000]) {
        const p = racing();
        // Moving until `idleBeforeDeathMs` before its last report (at NOW - 1 s), then dead at NOW: no more reports.
        const moved = NOW - 1_000 - idleBeforeDeathMs;
        p.report({ partition: 1, timeMs: T - MIN, backlog: false, atMs: moved - 1_000 });
        heartbeats(p, 1, T, moved, NOW - 1_000);
        const gaps: number[] = [];
        for (let now = NOW; now <= NOW - 1_000 + opts.staleMs; now += 100) if (p.groupFloor(now) !== T) gaps.push(now - NOW);
        expect(gaps, `idle ${idleBeforeDeathMs} ms before the death`).toEqual([]);
        // Before the silence rule acts only the horizon is held; then pacing too (the silence rule).
        expect(p.limitFor(0, T + 30 * MIN, NOW + 3_000)).toBe(Number.POSITIVE_INFINITY);
        expect(p.limitFor(0, T + 30 * MIN, NOW + 4_001)).toBe(T + 10 * MIN);
        // Stale: no longer trusted (its new owner should have reported it by now).
        expect(p.groupFloor(NOW - 1_000 + opts.staleMs + 1)).toBe(T + 30 * MIN);
      }
    });

    it("the partition's new owner's reports replace the dead owner's; once it is read here, it is known first-hand", () => {
      const p = racing();
      heartbeats(p, 1, T, NOW - 3_000, NOW - 1_000);
      expect(p.groupFloor(NOW + 10_000)).toBe(T);
      // The new owner restored an older checkpoint and catches up.
      p.report({ partition: 1, timeMs: T - 10 * MIN, backlog: true, atMs: NOW + 12_000 });
      expect(p.groupFloor(NOW + 12_500)).toBe(T - 10 * MIN);
      expect(p.limitFor(0, T + 30 * MIN, NOW + 12_500)).toBe(T);
      // Caught up and live: it holds the horizon only where it is, here behind nothing slower than partition 0.
      p.report({ partition: 1, timeMs: T + 45 * MIN, backlog: false, atMs: NOW + 20_000 });
      expect(p.groupFloor(NOW + 20_500)).toBe(T + 30 * MIN);
      // The new owner is this collector: first-hand, its (caught-up) position holds nothing.
      p.assign([0, 1]);
      p.observe(1, T + 20 * MIN, false);
      p.report({ partition: 1, timeMs: T + 20 * MIN, backlog: false, atMs: NOW + 21_000 });
      p.observe(0, T + 50 * MIN, false);
      expect(p.groupFloor(NOW + 21_500)).toBe(Number.POSITIVE_INFINITY);
    });

    it('no effect in steady state: every partition caught up (and none with a backlog within movedWithinMs)', () => {
      const p = new PartitionPacer(opts);
      p.assign([0]);
      p.observe(0, T + 30 * MIN, false);
      for (let i = 0; i < 30; i++) {
        // Live traffic everywhere: every partition moves every second, none has a backlog.
        p.report({ partition: 1, timeMs: T + i * 1_000, backlog: false, atMs: NOW + i * 1_000 });
        p.report({ partition: 2, timeMs: T + 5 * MIN + i * 1_000, backlog: false, atMs: NOW + i * 1_000 });
        p.observe(0, T + 30 * MIN + i * 1_000, false);
        expect(p.groupFloor(NOW + i * 1_000 + 500)).toBe(Number.POSITIVE_INFINITY);
        expect(p.limitFor(0, T + 30 * MIN, NOW + i * 1_000 + 500)).toBe(Number.POSITIVE_INFINITY);
      }
      // A backlog here (a burst): the live partitions hold the horizon, and keep holding it for movedWithinMs after
      // the backlog was last seen (backlogs come and go between the batches of a burst).
      p.observe(0, T + 40 * MIN, true);
      expect(p.groupFloor(NOW + 30_000)).toBe(T + 29_000);
      p.observe(0, T + 41 * MIN, false);
      p.report({ partition: 1, timeMs: T + 40_000, backlog: false, atMs: NOW + 31_000 });
      expect(p.groupFloor(NOW + 31_000)).toBe(T + 40_000);
      // Caught up for longer than movedWithinMs: steady state again.
      p.report({ partition: 1, timeMs: T + 100_000, backlog: false, atMs: NOW + 90_000 });
      p.report({ partition: 2, timeMs: T + 5 * MIN + 100_000, backlog: false, atMs: NOW + 90_000 });
      expect(p.groupFloor(NOW + 90_001)).toBe(Number.POSITIVE_INFINITY);
      // Another collector's backlog counts as a backlog of the group too (even one reported and gone between calls).
      p.report({ partition: 2, timeMs: T + 5 * MIN + 101_000, backlog: true, atMs: NOW + 91_000 });
      p.report({ partition: 2, timeMs: T + 5 * MIN + 102_000, backlog: false, atMs: NOW + 92_000 });
      expect(p.groupFloor(NOW + 92_500)).toBe(T + 100_000);
    });
  });
});
