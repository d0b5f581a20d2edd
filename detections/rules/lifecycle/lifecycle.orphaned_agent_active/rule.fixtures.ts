import { agent, type RuleFixture } from '../../../src/testing/fixtures.ts';

export const fixtures: RuleFixture[] = [
  {
    name: 'an agent owned by a departed person is orphaned when it acts; calls fold per day',
    events: [
      { at: '+8h', kind: 'tool_call', agent_id: agent('report-bot'), tool: 'erp.report.build', outcome: 'success' },
      { at: '+9h', kind: 'tool_call', agent_id: agent('report-bot'), tool: 'erp.report.build', outcome: 'success' },
    ],
    expect: [{ agent_id: agent('report-bot'), count: 2, title: 'its owner bob@corp.example has departed', severity: 'medium' }],
  },
  {
    name: 'agents with active owners are quiet',
    events: [{ at: '+8h', kind: 'tool_call', agent_id: agent('invoice-bot'), tool: 'erp.invoice.read', outcome: 'success' }],
    expect: [],
  },
];
