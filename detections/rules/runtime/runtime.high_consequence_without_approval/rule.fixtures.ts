import { agent, type RuleFixture } from '../../../src/testing/fixtures.ts';

const bot = agent('payments-bot');
export const fixtures: RuleFixture[] = [
  {
    name: 'a transfer without approval is high',
    events: [{ at: '+9h', kind: 'tool_call', agent_id: bot, tool: 'payments.transfer', action: 'transfer', resource: 'bank://acct/991', outcome: 'success' }],
    expect: [{ severity: 'high', title: 'payments-bot called high-consequence tool payments.transfer without approval' }],
  },
  {
    name: 'approved transfers and ordinary tools pass',
    events: [
      {
        at: '+9h',
        kind: 'tool_call',
        agent_id: bot,
        tool: 'payments.transfer',
        action: 'transfer',
        outcome: 'success',
        approval: { by: 'alice@corp.example' },
      },
      { at: '+9h1m', kind: 'tool_call', agent_id: bot, tool: 'payments.status', action: 'read', outcome: 'success' },
    ],
    expect: [],
  },
];
