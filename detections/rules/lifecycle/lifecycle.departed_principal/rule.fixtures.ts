import { agent, type RuleFixture } from '../../../src/testing/fixtures.ts';

export const fixtures: RuleFixture[] = [
  {
    name: 'acting on behalf of a departed person',
    events: [
      {
        at: '+9h',
        kind: 'tool_call',
        agent_id: agent('research'),
        tool: 'docs.read',
        outcome: 'success',
        on_behalf_of: 'bob@corp.example',
        delegation_chain: ['user:bob@corp.example', agent('planner'), agent('research')],
      },
    ],
    expect: [{ agent_id: agent('research'), title: 'on behalf of departed bob@corp.example' }],
  },
  {
    name: 'active principals are fine',
    events: [{ at: '+9h', kind: 'tool_call', agent_id: agent('research'), tool: 'docs.read', outcome: 'success', on_behalf_of: 'alice@corp.example' }],
    expect: [],
  },
];
