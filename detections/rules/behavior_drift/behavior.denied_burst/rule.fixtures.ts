import { agent, type RuleFixture } from '../../../src/testing/fixtures.ts';

const bot = agent('research');
const denied = (i: number, spacingS: number) => ({
  at: 9 * 3_600_000 + i * spacingS * 1000,
  kind: 'tool_call',
  agent_id: bot,
  tool: `secrets.read.${i % 5}`,
  outcome: 'denied',
  event_id: `d-${i}`,
});
export const fixtures: RuleFixture[] = [
  {
    name: '25 denials in 5 minutes fire once, folding the rest',
    events: Array.from({ length: 25 }, (_, i) => denied(i, 12)),
    expect: [{ title: 'research had 10 calls denied within 10 minutes', count: 16, event_ids: ['d-9'] }],
  },
  {
    name: 'policy denies count too',
    events: Array.from({ length: 12 }, (_, i) => ({
      at: 9 * 3_600_000 + i * 10_000,
      kind: 'policy_decision',
      agent_id: bot,
      decision: 'deny',
      tool: 'secrets.read',
    })),
    expect: [{ count: 3 }],
  },
  {
    name: 'the same number of denials spread over a day is not a burst',
    events: Array.from({ length: 25 }, (_, i) => denied(i, 3000)),
    expect: [],
  },
];
