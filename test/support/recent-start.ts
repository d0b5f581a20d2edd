const DAY_MS = 86_400_000;

/**
 * The fleet ends at the last midnight at least this long ago: a run just after midnight would otherwise send a fleet
 * whose last events are minutes old, which the live tests were not written for (seen: test/up-http-restart.test.ts
 * missed one credential.token_used_after_expiry alert across its SIGKILL at 00:10 UTC, every try; an open finding).
 */
const SETTLED_MS = 6 * 3_600_000;

/**
 * A fleet start so that `days` of simulated activity end at a midnight (UTC) at least six hours ago. Live tests send
 * events now, and an event dated more than max_event_age (30 days) before its arrival is a claim the engine does not
 * believe (events.md 1.1), so a live test's fleet is recent, as a live feed's would be.
 */
export const recentStart = (days: number, nowMs = Date.now()): string =>
  new Date(Math.floor((nowMs - SETTLED_MS) / DAY_MS) * DAY_MS - days * DAY_MS).toISOString();
