import { agent, type RuleFixture } from '../../../src/testing/fixtures.ts';

export const fixtures: RuleFixture[] = [
  {
    name: 'an agent never reviewed since registration long ago is overdue',
    events: [
      { at: '+8h', kind: 'tool_call', agent_id: agent('stale-bot'), tool: 'fs.clean', outcome: 'success' },
      { at: '+20h', kind: 'tool_call', agent_id: agent('stale-bot'), tool: 'fs.clean', outcome: 'success' },
    ],
    expect: [{ agent_id: agent('stale-bot'), severity: 'low', count: 2, title: 'Access review of stale-bot is overdue' }],
  },
  {
    name: 'a recently reviewed agent is not overdue; a shorter configured interval makes it so',
    events: [{ at: '+8h', kind: 'tool_call', agent_id: agent('invoice-bot'), tool: 'erp.invoice.read', outcome: 'success' }],
    expect: [],
  },
  {
    name: 'configured interval applies',
    config: { review_interval: '30d' },
    events: [{ at: '+8h', kind: 'tool_call', agent_id: agent('invoice-bot'), tool: 'erp.invoice.read', outcome: 'success' }],
    expect: [{ agent_id: agent('invoice-bot'), summary: 'the review interval is 30d' }],
  },
];
