import { agent, type RuleFixture } from '../../../src/testing/fixtures.ts';

export const fixtures: RuleFixture[] = [
  {
    name: 'a transfer steered by an untrusted document is critical, even with approval',
    events: [
      {
        at: '+9h',
        kind: 'tool_call',
        agent_id: agent('payments-bot'),
        tool: 'payments.transfer',
        action: 'transfer',
        outcome: 'success',
        context_trust: 'untrusted',
        approval: { by: 'alice@corp.example' },
      },
    ],
    expect: [{ severity: 'critical', title: 'while acting on untrusted content' }],
  },
  {
    name: 'a delete action from untrusted context on an agent with no declared tools',
    events: [{ at: '+9h', kind: 'tool_call', agent_id: agent('ocr'), tool: 'files.remove', action: 'delete', outcome: 'success', context_trust: 'untrusted' }],
    expect: [{ severity: 'critical' }],
  },
  {
    name: 'untrusted reads and trusted transfers pass',
    events: [
      { at: '+9h', kind: 'tool_call', agent_id: agent('research'), tool: 'web.fetch', action: 'read', outcome: 'success', context_trust: 'untrusted' },
      {
        at: '+9h1m',
        kind: 'tool_call',
        agent_id: agent('payments-bot'),
        tool: 'payments.transfer',
        action: 'transfer',
        outcome: 'success',
        context_trust: 'trusted',
        approval: { by: 'alice@corp.example' },
      },
    ],
    expect: [],
  },
];
