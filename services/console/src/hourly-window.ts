// The agent page's 30-day activity series (pure, so it is unit-tested without a browser).
import type { HourlyPoint } from './types.ts';

const HOUR_MS = 3_600_000;
const WINDOW_HOURS = 30 * 24;

/**
 * 30 days of hours ending with the current one, zeros where the agent did nothing (so quiet hours read as quiet, not
 * as a line drawn across them). Hours outside the window (an event that claims a future date) are counted apart.
 */
export function hourlyWindow(hourly: HourlyPoint[], nowMs: number): { x: number[]; events: number[]; denied: number[]; outside: number } {
  const end = Math.floor(nowMs / HOUR_MS) * HOUR_MS;
  const start = end - (WINDOW_HOURS - 1) * HOUR_MS;
  const events = new Array<number>(WINDOW_HOURS).fill(0);
  const denied = new Array<number>(WINDOW_HOURS).fill(0);
  let outside = 0;
  for (const p of hourly) {
    const i = Math.round((Math.floor(Date.parse(p.hour) / HOUR_MS) * HOUR_MS - start) / HOUR_MS);
    if (!(i >= 0 && i < WINDOW_HOURS)) {
      outside += p.events;
      continue;
    }
    events[i] = (events[i] ?? 0) + p.events;
    denied[i] = (denied[i] ?? 0) + (p.denied ?? 0);
  }
  return { x: events.map((_, i) => (start + i * HOUR_MS) / 1000), events, denied, outside };
}
