const DAY_MS = 86_400_000;

/**
 * A fleet start so that `days` of simulated activity end at today's midnight (UTC). Live tests send events now, and
 * an event dated more than max_event_age (30 days) before its arrival is a claim the engine does not believe
 * (events.md 1.1), so a live test's fleet is recent, as a live feed's would be.
 */
export const recentStart = (days: number, nowMs = Date.now()): string => new Date(Math.floor(nowMs / DAY_MS) * DAY_MS - days * DAY_MS).toISOString();
