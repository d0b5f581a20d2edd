import { hourlyStats } from '../../../src/baseline/agent-baseline.ts';
import { spikeThreshold } from '../../../src/baseline/robust-stats.ts';
import { defineRule } from '../../../src/engine/types.ts';
import { baselineEvidence, baselineWarm } from '../../../src/rule-helpers.ts';
import { num, shortName } from '../../../src/text.ts';

/** Completed active hours needed before hourly volume is judged. */
const MIN_HOURS = 24;

export default defineRule({
  id: 'behavior.event_volume_spike',
  version: '1.0.0',
  category: 'behavior_drift',
  severity: 'medium',
  riskScore: 55,
  name: 'Activity volume far above baseline',
  description:
    "Events this hour exceed the agent's own hourly baseline by far: above the largest of median + 8·MAD-sigma, 5x the median, 2x its 99th percentile hour, and 30 events. Runaway loops, scraping and automated abuse look like this.",
  tags: ['owasp-agentic:ASI08', 'owasp-agentic:ASI10', 'mitre-attack:T1119'],
  kinds: ['tool_call', 'token_issued', 'policy_decision'],
  dedupWindowMs: 3_600_000,
  falsePositives: ['Month-end or backfill jobs the agent rarely runs'],
  knownGaps: ['Baseline covers the last 240 active hours; a slow ramp-up is absorbed as growth'],
  evaluate(event, ctx) {
    const b = ctx.baseline;
    if (b.history.length < MIN_HOURS || !baselineWarm(ctx)) return null;
    const stats = hourlyStats(b);
    if (!stats) return null;
    const threshold = spikeThreshold(stats.events, { k: 8, medianFactor: 5, p99Factor: 2, floor: 30 });
    const count = b.current.events + 1;
    if (count <= threshold) return null;
    const factor = count / Math.max(1, stats.events.median);
    return {
      dedupKey: 'events',
      severity: factor >= 20 ? 'high' : 'medium',
      describe: () => ({
        title: `${shortName(event.agent_id)} made more than ${Math.floor(threshold)} calls within the hour (typical hour: ${num(stats.events.median)})`,
        summary: `${event.agent_id} reached ${count} events in the hour starting ${new Date(b.current.hourStartMs).toISOString()}. Over its last ${stats.hours} active hours the median was ${num(stats.events.median)} (robust sigma ${num(stats.events.sigma)}, 99th percentile ${num(stats.events.p99)}, max ${stats.events.max}); the alert threshold is ${num(threshold)}.`,
        evidence: {
          hour_start: new Date(b.current.hourStartMs).toISOString(),
          events_at_alert: count,
          threshold,
          baseline_median: stats.events.median,
          baseline_sigma: stats.events.sigma,
          baseline_p99: stats.events.p99,
          baseline_max: stats.events.max,
          baseline_hours: stats.hours,
          ...baselineEvidence(ctx),
        },
      }),
    };
  },
});
