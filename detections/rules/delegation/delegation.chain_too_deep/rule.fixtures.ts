import { agent, type RuleFixture } from '../../../src/testing/fixtures.ts';

const call = (chain: string[]) => ({
  at: '+9h',
  kind: 'tool_call',
  agent_id: chain[chain.length - 1],
  tool: 'ocr.run',
  outcome: 'success',
  on_behalf_of: 'carol@corp.example',
  delegation_chain: chain,
});
export const fixtures: RuleFixture[] = [
  {
    name: 'planner > research > ocr is 3 agents; research allows 2',
    events: [call(['user:carol@corp.example', agent('planner'), agent('research'), agent('ocr')])],
    expect: [{ agent_id: agent('ocr'), title: 'Delegation chain of 3 agents reached ocr; research allows at most 2' }],
  },
  {
    name: 'planner > research is within both limits; the person does not count',
    events: [{ ...call(['user:carol@corp.example', agent('planner'), agent('research')]), tool: 'docs.read' }],
    expect: [],
  },
];
