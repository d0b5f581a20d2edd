import { agent, type RuleFixture } from '../../../src/testing/fixtures.ts';

const bot = agent('invoice-bot');
export const fixtures: RuleFixture[] = [
  {
    name: 'payroll records read by invoice-bot fold per family',
    events: [
      { at: '+9h', kind: 'tool_call', agent_id: bot, tool: 'erp.invoice.read', resource: 'erp://payroll/2026-10/e-1', outcome: 'success' },
      { at: '+9h1m', kind: 'tool_call', agent_id: bot, tool: 'erp.invoice.read', resource: 'erp://payroll/2026-10/e-2', outcome: 'success' },
    ],
    expect: [{ count: 2, title: 'invoice-bot accessed erp://payroll/2026-10/e-1' }],
  },
  {
    name: '** crosses segments; scheme must match',
    events: [
      { at: '+9h', kind: 'tool_call', agent_id: bot, tool: 'erp.invoice.read', resource: 'erp://invoices/2026/11/118', outcome: 'success' },
      { at: '+9h1m', kind: 'tool_call', agent_id: bot, tool: 'erp.invoice.read', outcome: 'success' },
    ],
    expect: [],
  },
  {
    name: 'a look-alike scheme is outside',
    events: [{ at: '+9h', kind: 'tool_call', agent_id: bot, tool: 'erp.invoice.read', resource: 'erp-backup://invoices/1', outcome: 'success' }],
    expect: [{ title: 'erp-backup://invoices/1' }],
  },
];
