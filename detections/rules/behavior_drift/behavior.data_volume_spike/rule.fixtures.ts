import { activity, agent, type RuleFixture } from '../../../src/testing/fixtures.ts';

const bot = agent('invoice-bot');
const ev = { kind: 'tool_call', agent_id: bot, tool: 'erp.invoice.read', outcome: 'success', bytes_out: 20_000, records: 2 };
const learning = activity({ event: ev, days: 10, hours: [9, 10, 11, 12, 13, 14, 15, 16], perHour: 5, weekdaysOnly: true });
export const fixtures: RuleFixture[] = [
  {
    name: 'a 200 MB export against a 100 KB hour is flagged',
    events: [...learning, { ...ev, at: '+10d10h30m', bytes_out: 200_000_000, records: 50_000, event_id: 'big' }],
    expect: [{ title: 'invoice-bot sent 190.7 MB this hour', event_ids: ['big'] }],
  },
  {
    name: 'a heavier but ordinary hour stays quiet',
    events: [...learning, { ...ev, at: '+10d10h30m', bytes_out: 300_000, records: 20 }],
    expect: [],
  },
];
