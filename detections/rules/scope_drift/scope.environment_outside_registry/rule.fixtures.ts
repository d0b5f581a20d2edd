import { agent, type RuleFixture } from '../../../src/testing/fixtures.ts';

const bot = agent('invoice-bot');
export const fixtures: RuleFixture[] = [
  {
    name: 'a prod-only agent acting in staging',
    events: [{ at: '+9h', kind: 'tool_call', agent_id: bot, tool: 'erp.invoice.read', outcome: 'success', environment: 'staging' }],
    expect: [{ severity: 'medium', title: 'invoice-bot acted in staging' }],
  },
  {
    name: 'in-scope or unstated environments pass',
    events: [
      { at: '+9h', kind: 'tool_call', agent_id: bot, tool: 'erp.invoice.read', outcome: 'success', environment: 'prod' },
      { at: '+9h1m', kind: 'tool_call', agent_id: bot, tool: 'erp.invoice.read', outcome: 'success' },
      { at: '+9h2m', kind: 'tool_call', agent_id: agent('ocr'), tool: 'ocr.run', outcome: 'success', environment: 'dev' },
    ],
    expect: [],
  },
];
