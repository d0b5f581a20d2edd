import { agent, type RuleFixture } from '../../../src/testing/fixtures.ts';

const bot = agent('invoice-bot');
export const fixtures: RuleFixture[] = [
  {
    name: 'invoice-bot exporting HR data is drift; 300 repeats in the hour fold into one alert',
    events: Array.from({ length: 300 }, (_, i) => ({
      at: 9 * 3_600_000 + i * 1000,
      kind: 'tool_call',
      agent_id: bot,
      tool: 'hris.employee.export',
      outcome: 'success',
    })),
    expect: [
      {
        agent_id: bot,
        count: 300,
        severity: 'medium',
        title: 'invoice-bot called hris.employee.export, which is outside its declared tools erp.invoice.read, erp.po.*',
      },
    ],
  },
  {
    name: 'a denied out-of-scope attempt is low',
    events: [{ at: '+9h', kind: 'tool_call', agent_id: bot, tool: 'hris.employee.export', outcome: 'denied' }],
    expect: [{ severity: 'low' }],
  },
  {
    name: 'declared tools and glob matches are in scope; a star does not cross a dot',
    events: [
      { at: '+9h', kind: 'tool_call', agent_id: bot, tool: 'erp.invoice.read', outcome: 'success' },
      { at: '+9h1m', kind: 'tool_call', agent_id: bot, tool: 'erp.po.approve', outcome: 'success' },
      { at: '+9h2m', kind: 'tool_call', agent_id: agent('ocr'), tool: 'anything.at.all', outcome: 'success' },
    ],
    expect: [],
  },
  {
    name: 'erp.po.* does not match erp.po.line.delete',
    events: [{ at: '+9h', kind: 'tool_call', agent_id: bot, tool: 'erp.po.line.delete', outcome: 'success' }],
    expect: [{ title: 'erp.po.line.delete' }],
  },
];
