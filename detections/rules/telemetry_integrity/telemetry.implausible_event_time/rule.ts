import { defineRule } from '../../../src/engine/types.ts';
import { shortName } from '../../../src/text.ts';

const DAY_MS = 86_400_000;
const YEAR_MS = 365.25 * DAY_MS;

/** "3 min", "5 h", "12 days", "7973 years": how far a claim is from its arrival, in words. */
function distance(ms: number): string {
  const abs = Math.abs(ms);
  if (abs >= 2 * YEAR_MS) return `${Math.floor(abs / YEAR_MS)} years`;
  if (abs >= 2 * DAY_MS) return `${Math.floor(abs / DAY_MS)} days`;
  if (abs >= 2 * 3_600_000) return `${Math.floor(abs / 3_600_000)} h`;
  return `${Math.max(1, Math.floor(abs / 60_000))} min`;
}

export default defineRule({
  id: 'telemetry.implausible_event_time',
  version: '1.0.0',
  category: 'telemetry_integrity',
  severity: 'high',
  riskScore: 70,
  name: 'Event dated implausibly far from its arrival',
  description:
    'An event claims a time more than max_future_skew after it was received, or more than max_event_age before. agentwatch stores it but does not let it move any clock (windows, token expiry, baselines, partition positions): a compromised agent that dates an event far ahead could otherwise make every token look expired and close every window. Its other content is not judged by the other rules; it is listed here as evidence.',
  tags: ['mitre-attack:T1070.006', 'mitre-attack:T1562'],
  kinds: ['tool_call', 'token_issued', 'token_revoked', 'policy_decision'],
  dedupWindowMs: DAY_MS,
  judgesTimeClaims: true,
  falsePositives: [
    'A source whose clock is wrong (no NTP) or that reports in local time without a zone',
    'A backfill of records older than max_event_age sent to the live API (replay them with agentwatch replay, or raise max_event_age)',
    'A pipeline that delivers events more than max_event_age late',
  ],
  knownGaps: [
    'The other rules do not see an event whose time is not believed (they would need a clock to judge it by): a tool call dated far ahead is reported here, not as scope drift',
    'In replay the arrival is estimated from the events recorded after it: a lie repeated by the majority of 63 events in a row is believed',
  ],
  evaluate(event, ctx) {
    const claim = ctx.timeClaim;
    if (!claim) return null;
    const future = claim.verdict === 'future';
    const offset = claim.claimedMs - claim.arrivalMs;
    const farAhead = future && offset > DAY_MS;
    return {
      dedupKey: claim.verdict,
      // Far-future dates are how a forged stream blinds detection; old dates are more often a late or replayed feed.
      severity: future ? (farAhead ? 'high' : 'medium') : 'low',
      riskScore: future ? (farAhead ? 70 : 50) : 30,
      describe: () => ({
        title: `${shortName(event.agent_id)} sent events dated ${distance(offset)} ${future ? 'after' : 'before'} they arrived`,
        summary: `Event ${event.event_id} (${event.kind}${event.kind === 'tool_call' ? ` ${event.tool}` : ''}) claims ${event.time} but arrived at ${new Date(claim.arrivalMs).toISOString()}, ${distance(offset)} ${future ? 'later than' : 'earlier than'} that (allowed: ${future ? `${ctx.config.max_future_skew} ahead` : `${ctx.config.max_event_age} behind`}). It is stored but did not move any clock and was not judged by the other rules; the count says how many such events this agent sent in the day.`,
        evidence: {
          verdict: claim.verdict,
          claimed_time: event.time,
          arrived_at: new Date(claim.arrivalMs).toISOString(),
          offset_ms: offset,
          source: event.source ?? null,
        },
      }),
    };
  },
});
