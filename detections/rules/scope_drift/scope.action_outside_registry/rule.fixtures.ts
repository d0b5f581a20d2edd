import { agent, type RuleFixture } from '../../../src/testing/fixtures.ts';

const bot = agent('invoice-bot');
export const fixtures: RuleFixture[] = [
  {
    name: 'a delete by a read/write agent is high',
    events: [{ at: '+9h', kind: 'tool_call', agent_id: bot, tool: 'erp.po.purge', action: 'delete', outcome: 'success' }],
    expect: [{ severity: 'high', title: 'invoice-bot performed a delete action (erp.po.purge)' }],
  },
  {
    name: 'a send is medium',
    events: [{ at: '+9h', kind: 'tool_call', agent_id: bot, tool: 'erp.po.mail', action: 'send', outcome: 'success' }],
    expect: [{ severity: 'medium' }],
  },
  {
    name: 'declared actions and calls without action pass',
    events: [
      { at: '+9h', kind: 'tool_call', agent_id: bot, tool: 'erp.po.update', action: 'write', outcome: 'success' },
      { at: '+9h1m', kind: 'tool_call', agent_id: bot, tool: 'erp.po.update', outcome: 'success' },
    ],
    expect: [],
  },
];
