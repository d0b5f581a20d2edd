import { activity, agent, type RuleFixture } from '../../../src/testing/fixtures.ts';

const bot = agent('ocr');
const learning = activity({
  event: { kind: 'tool_call', agent_id: bot, tool: 'ocr.run', resource: 'scans://inbox/doc-1', outcome: 'success' },
  days: 9,
  hours: [8, 12, 16],
  perHour: 2,
});
export const fixtures: RuleFixture[] = [
  {
    name: 'a new family after learning',
    events: [...learning, { at: '+9d12h', kind: 'tool_call', agent_id: bot, tool: 'ocr.run', resource: 'hr://contracts/c-77', outcome: 'success' }],
    expect: [{ title: 'ocr accessed hr://contracts for the first time' }],
  },
  {
    name: 'new ids in a known family are not new',
    events: [...learning, { at: '+9d12h', kind: 'tool_call', agent_id: bot, tool: 'ocr.run', resource: 'scans://inbox/doc-999', outcome: 'success' }],
    expect: [],
  },
];
