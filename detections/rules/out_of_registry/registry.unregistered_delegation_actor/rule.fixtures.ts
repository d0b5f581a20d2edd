import { agent, type RuleFixture } from '../../../src/testing/fixtures.ts';

export const fixtures: RuleFixture[] = [
  {
    name: 'an unknown agent in the middle of a chain is flagged, with the chain as evidence',
    events: [
      {
        at: '+10h',
        kind: 'tool_call',
        agent_id: agent('research'),
        tool: 'docs.read',
        outcome: 'success',
        on_behalf_of: 'alice@corp.example',
        delegation_chain: ['user:alice@corp.example', agent('planner'), agent('rogue-relay'), agent('research')],
      },
    ],
    expect: [{ agent_id: agent('rogue-relay'), title: 'Unregistered agent rogue-relay delegated work to research' }],
  },
  {
    name: 'people (listed, prefixed or on_behalf_of) and registered agents are not flagged',
    events: [
      {
        at: '+10h',
        kind: 'tool_call',
        agent_id: agent('research'),
        tool: 'docs.read',
        outcome: 'success',
        on_behalf_of: 'dave@corp.example',
        delegation_chain: ['dave@corp.example', agent('planner'), agent('research')],
      },
      {
        at: '+11h',
        kind: 'tool_call',
        agent_id: agent('research'),
        tool: 'docs.read',
        outcome: 'success',
        delegation_chain: ['user:carol@corp.example', agent('planner'), agent('research')],
      },
    ],
    expect: [],
  },
];
