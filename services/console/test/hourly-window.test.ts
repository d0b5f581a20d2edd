import { describe, expect, it } from 'vitest';
import { hourlyWindow } from '../src/hourly-window.ts';

describe('the agent page hourly series', () => {
  const now = Date.parse('2026-12-07T15:30:00Z');

  it('covers 30 days of hours ending with the current one, zeros where nothing happened', () => {
    const w = hourlyWindow(
      [
        { hour: '2026-12-07T15:00:00Z', events: 4, denied: 1 },
        { hour: '2026-12-01T03:00:00Z', events: 2 },
      ],
      now,
    );
    expect(w.x).toHaveLength(720);
    expect(w.x.at(-1)).toBe(Date.parse('2026-12-07T15:00:00Z') / 1000);
    expect(w.x[1]! - w.x[0]!).toBe(3600);
    expect(w.events.at(-1)).toBe(4);
    expect(w.denied.at(-1)).toBe(1);
    expect(w.events.reduce((s, n) => s + n, 0)).toBe(6);
    expect(w.events[w.x.indexOf(Date.parse('2026-12-01T03:00:00Z') / 1000)]).toBe(2);
  });

  it('counts hours outside the window apart instead of stretching the axis (a forged 2029 date)', () => {
    const w = hourlyWindow(
      [
        { hour: '2029-12-03T10:00:00Z', events: 9 },
        { hour: '2026-10-01T00:00:00Z', events: 3 },
      ],
      now,
    );
    expect(w.outside).toBe(12);
    expect(w.events.every((n) => n === 0)).toBe(true);
    expect(w.x).toHaveLength(720);
  });
});
