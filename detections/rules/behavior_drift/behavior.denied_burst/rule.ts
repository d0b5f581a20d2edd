import { hourlyStats, isDenial } from '../../../src/baseline/agent-baseline.ts';
import { defineRule } from '../../../src/engine/types.ts';
import { actionPhrase, baselineEvidence } from '../../../src/rule-helpers.ts';
import { num, shortName } from '../../../src/text.ts';

const WINDOW_MS = 10 * 60_000;
const FLOOR = 10;
/** Denial times kept per agent: enough to count past any threshold without unbounded growth. */
const MAX_KEPT = 500;

interface State {
  times: number[];
}

export default defineRule<State>({
  id: 'behavior.denied_burst',
  version: '1.0.0',
  category: 'behavior_drift',
  severity: 'medium',
  riskScore: 60,
  name: 'Burst of denied calls',
  description:
    "Many calls denied within 10 minutes: at least 10, and at least twice the denials of the agent's 99th-percentile hour. A manipulated agent probing for what it can reach, or an agent whose permissions were cut while it keeps trying.",
  tags: ['owasp-agentic:ASI01', 'owasp-agentic:ASI02', 'mitre-attack:T1580', 'mitre-attack:T1069'],
  kinds: ['tool_call', 'policy_decision'],
  dedupWindowMs: 3_600_000,
  falsePositives: ['A permission change rolled out before the agent was updated'],
  knownGaps: ['Only denials (outcome denied, policy deny) count, not other failures'],
  initState: () => ({ times: [] }),
  evaluate(event, ctx) {
    if (!isDenial(event)) return null;
    const times = ctx.state.times;
    times.push(ctx.nowMs);
    let drop = 0;
    while (drop < times.length && (times[drop] as number) <= ctx.nowMs - WINDOW_MS) drop++;
    if (drop > 0 || times.length > MAX_KEPT) times.splice(0, Math.max(drop, times.length - MAX_KEPT));
    const p99 = hourlyStats(ctx.baseline)?.denied.p99 ?? 0;
    const threshold = Math.max(FLOOR, 2 * p99);
    if (times.length < threshold) return null;
    const what = actionPhrase(event);
    return {
      dedupKey: 'denied',
      severity: times.length >= 3 * threshold ? 'high' : 'medium',
      describe: () => ({
        title: `${shortName(event.agent_id)} had ${times.length} calls denied within 10 minutes`,
        summary: `${event.agent_id} was denied ${times.length} times between ${new Date(times[0] as number).toISOString()} and ${event.time} (latest: it ${what}). Its baseline 99th-percentile hour has ${num(p99)} denials; the burst threshold is ${num(threshold)} in 10 minutes.`,
        evidence: { denied_in_window: times.length, window_minutes: 10, threshold, baseline_denied_p99_per_hour: p99, ...baselineEvidence(ctx) },
      }),
    };
  },
});
