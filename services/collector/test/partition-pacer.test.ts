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
    const p = new PartitionPacer({ maxSkewMs: 10 * MIN, staleMs: 60_000, silentMs: 5_000 });
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
});
