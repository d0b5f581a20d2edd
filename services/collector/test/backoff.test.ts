import { describe, expect, it } from 'vitest';
import { backoffDelay, sleepUnlessAborted } from '../src/backoff.ts';

describe('backoffDelay', () => {
  it('doubles from the initial delay, between half and all of it (jitter)', () => {
    for (const r of [0, 0.5, 0.999]) {
      const delays = [0, 1, 2, 3].map((attempt) => backoffDelay(attempt, { initialMs: 100, maxMs: 10_000, random: () => r }));
      delays.forEach((d, attempt) => {
        const ceiling = 100 * 2 ** attempt;
        expect(d).toBeGreaterThanOrEqual(ceiling / 2);
        expect(d).toBeLessThanOrEqual(ceiling);
      });
    }
    expect(backoffDelay(3, { initialMs: 100, random: () => 0 })).toBe(400);
    expect(backoffDelay(3, { initialMs: 100, random: () => 0.999 })).toBe(800);
  });

  it('never passes the cap, however many attempts', () => {
    for (const attempt of [10, 50, 1000]) expect(backoffDelay(attempt, { initialMs: 500, maxMs: 30_000, random: () => 0.999 })).toBeLessThanOrEqual(30_000);
    expect(backoffDelay(1000, { initialMs: 500, maxMs: 30_000, random: () => 0 })).toBe(15_000);
  });
});

describe('sleepUnlessAborted', () => {
  it('ends at once (false) when aborted', async () => {
    const ac = new AbortController();
    const slept = sleepUnlessAborted(60_000, ac.signal);
    ac.abort();
    expect(await slept).toBe(false);
    expect(await sleepUnlessAborted(60_000, ac.signal)).toBe(false);
  });

  it('resolves true after the delay', async () => {
    expect(await sleepUnlessAborted(1)).toBe(true);
  });
});
