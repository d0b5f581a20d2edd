import { formatDuration } from '@agentwatch/schemas';
import { defineRule } from '../../../src/engine/types.ts';
import { shortName } from '../../../src/text.ts';

const DAY_MS = 86_400_000;

export default defineRule({
  id: 'lifecycle.review_overdue',
  version: '1.0.0',
  category: 'lifecycle',
  severity: 'low',
  riskScore: 25,
  name: 'Agent access review overdue',
  description:
    'An active agent has not been reviewed within the review interval (default 90 days; never reviewed counts from registration). Raised when the agent acts, at most once per 30 days.',
  tags: ['owasp-nhi:NHI1', 'owasp-nhi:NHI5'],
  kinds: ['tool_call', 'token_issued'],
  appliesTo: (agent) => agent?.entry.status === 'active',
  dedupWindowMs: 30 * DAY_MS,
  falsePositives: ['Reviews done but not recorded in last_reviewed'],
  knownGaps: ['Agents that never act are not reported (no event carries the time)'],
  evaluate(_event, ctx) {
    const a = ctx.agent;
    if (a?.entry.status !== 'active') return null;
    const intervalMs = ctx.limits.reviewIntervalMs;
    const ageMs = ctx.nowMs - a.reviewedAtMs;
    if (ageMs <= intervalMs) return null;
    const days = Math.floor(ageMs / DAY_MS);
    const basis = a.entry.last_reviewed ? `last reviewed ${a.entry.last_reviewed}` : `never reviewed since registration on ${a.entry.registered_at}`;
    return {
      dedupKey: 'review',
      describe: () => ({
        title: `Access review of ${shortName(a.id)} is overdue (${days} days)`,
        summary: `${a.entry.name} (${a.id}) was ${basis}, ${days} days ago; the review interval is ${formatDuration(intervalMs)}. It is still active. Owner ${a.entry.owner} should confirm its purpose and scope.`,
        evidence: {
          last_reviewed: a.entry.last_reviewed ?? null,
          registered_at: a.entry.registered_at,
          days_since_review: days,
          review_interval: ctx.config.review_interval,
        },
      }),
    };
  },
});
