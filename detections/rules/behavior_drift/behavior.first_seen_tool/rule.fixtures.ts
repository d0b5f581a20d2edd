import { activity, agent, type RuleFixture } from '../../../src/testing/fixtures.ts';

const bot = agent('invoice-bot');
const learning = activity({
  event: { kind: 'tool_call', agent_id: bot, tool: 'erp.invoice.read', outcome: 'success' },
  days: 10,
  hours: [9, 10, 11, 14, 15],
  perHour: 3,
  weekdaysOnly: true,
});
export const fixtures: RuleFixture[] = [
  {
    name: 'a new in-scope tool after ten days of learning is low',
    events: [...learning, { at: '+10d10h', kind: 'tool_call', agent_id: bot, tool: 'erp.po.approve', outcome: 'success', event_id: 'new' }],
    expect: [{ severity: 'low', title: 'invoice-bot used erp.po.approve for the first time', event_ids: ['new'] }],
  },
  {
    name: 'during the learning period new tools are just learned',
    events: [...learning.slice(0, 20), { at: '+2d10h', kind: 'tool_call', agent_id: bot, tool: 'erp.po.approve', outcome: 'success' }],
    expect: [],
  },
  {
    name: 'known tools stay quiet',
    events: [...learning, { at: '+10d10h', kind: 'tool_call', agent_id: bot, tool: 'erp.invoice.read', outcome: 'success' }],
    expect: [],
  },
];
