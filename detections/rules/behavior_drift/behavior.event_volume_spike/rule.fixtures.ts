import { activity, agent, type RuleFixture } from '../../../src/testing/fixtures.ts';

const bot = agent('invoice-bot');
const ev = { kind: 'tool_call', agent_id: bot, tool: 'erp.invoice.read', outcome: 'success' };
const learning = activity({ event: ev, days: 10, hours: [9, 10, 11, 12, 13, 14, 15, 16], perHour: 6, weekdaysOnly: true });
const burst = (n: number) => Array.from({ length: n }, (_, i) => ({ ...ev, at: `+10d10h${Math.floor(i / 2)}m`, event_id: `burst-${i}` }));
export const fixtures: RuleFixture[] = [
  {
    name: '120 calls in an hour against a typical 6 fires once; the rest fold',
    events: [...learning, ...burst(120)],
    expect: [{ agent_id: bot, title: 'made more than 30 calls within the hour (typical hour: 6)', count: 90 }],
  },
  {
    name: 'a busy but normal hour (2x) stays quiet',
    events: [...learning, ...burst(12)],
    expect: [],
  },
  {
    name: 'no judgement before the learning period',
    events: [...learning.slice(0, 40), ...burst(120).map((e) => ({ ...e, at: e.at.replace('+10d', '+1d') }))],
    expect: [],
  },
];
