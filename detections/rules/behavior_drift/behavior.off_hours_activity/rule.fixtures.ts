import { activity, agent, type RuleFixture } from '../../../src/testing/fixtures.ts';

const bot = agent('invoice-bot');
const ev = { kind: 'tool_call', agent_id: bot, tool: 'erp.invoice.read', outcome: 'success' };
const learning = activity({ event: ev, days: 10, hours: [8, 9, 10, 11, 12, 13, 14, 15, 16, 17], perHour: 3, weekdaysOnly: true });
export const fixtures: RuleFixture[] = [
  {
    name: 'a business-hours agent at 03:00 is flagged once for the day',
    events: [...learning, { ...ev, at: '+10d3h5m', event_id: 'night-1' }, { ...ev, at: '+10d3h20m', event_id: 'night-2' }],
    expect: [{ title: 'invoice-bot active at 03:00 UTC', count: 2, event_ids: ['night-1', 'night-2'] }],
  },
  {
    name: 'an hour next to its working day (18:00) is tolerated',
    events: [...learning, { ...ev, at: '+10d18h30m' }],
    expect: [],
  },
  {
    name: 'a 24/7 agent has no off hours',
    events: [
      ...activity({ event: { ...ev, agent_id: agent('ocr') }, days: 10, hours: Array.from({ length: 24 }, (_, h) => h).filter((h) => h !== 3), perHour: 2 }),
      { ...ev, agent_id: agent('ocr'), at: '+10d3h5m' },
    ],
    expect: [],
  },
];
