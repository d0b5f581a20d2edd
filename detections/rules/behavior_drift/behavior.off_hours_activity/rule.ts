import { defineRule } from '../../../src/engine/types.ts';
import { baselineEvidence, baselineWarm } from '../../../src/rule-helpers.ts';
import { shortName } from '../../../src/text.ts';

/** Share of an agent's events below which an hour counts as one it "never" works. */
const NEVER_SHARE = 0.01;
const MIN_EVENTS = 50;
/** An agent must have at least this many quiet hours a day to have "off hours" at all. */
const MIN_QUIET_HOURS = 6;

const share = (hist: readonly number[], h: number, total: number): number => (hist[(h + 24) % 24] ?? 0) / total;

export default defineRule({
  id: 'behavior.off_hours_activity',
  version: '1.0.0',
  category: 'behavior_drift',
  severity: 'medium',
  riskScore: 50,
  name: 'Activity at hours the agent never works',
  description:
    'After learning, an agent acted in an hour of the day (UTC) in which, together with the hour either side, it has essentially never acted (under 1% of its events). Only agents with a real quiet period (6+ such hours) are judged, so 24/7 agents never match.',
  tags: ['owasp-agentic:ASI10', 'mitre-attack:T1078'],
  kinds: ['tool_call', 'token_issued', 'policy_decision'],
  dedupWindowMs: 86_400_000,
  falsePositives: ['Batch jobs rescheduled by operations', 'Daylight-saving shifts of an hour are tolerated; larger moves are not'],
  knownGaps: ['Hour of day only (UTC); weekday patterns are not modelled'],
  evaluate(event, ctx) {
    const b = ctx.baseline;
    if (b.totalEvents < MIN_EVENTS || !baselineWarm(ctx)) return null;
    const hour = new Date(ctx.nowMs).getUTCHours();
    const hist = b.hourOfDay;
    const total = b.totalEvents;
    if (share(hist, hour - 1, total) + share(hist, hour, total) + share(hist, hour + 1, total) >= NEVER_SHARE) return null;
    const activeHours: number[] = [];
    let quiet = 0;
    for (let h = 0; h < 24; h++) {
      if (share(hist, h, total) < NEVER_SHARE) quiet++;
      else activeHours.push(h);
    }
    if (quiet < MIN_QUIET_HOURS) return null;
    const hh = (h: number) => `${String(h).padStart(2, '0')}:00`;
    return {
      dedupKey: 'off-hours',
      describe: () => ({
        title: `${shortName(event.agent_id)} active at ${hh(hour)} UTC, an hour it never works`,
        summary: `${event.agent_id} normally works at ${activeHours.map(hh).join(', ')} UTC (${b.totalEvents} events over ${b.activeDays} active days); it has essentially no activity between ${hh((hour + 23) % 24)} and ${hh((hour + 2) % 24)}. At ${event.time} it ${event.kind === 'tool_call' ? `called ${event.tool}` : `produced a ${event.kind.replace('_', ' ')}`}.`,
        evidence: { hour_utc: hour, usual_hours_utc: activeHours, hour_of_day_histogram: [...hist], ...baselineEvidence(ctx) },
      }),
    };
  },
});
