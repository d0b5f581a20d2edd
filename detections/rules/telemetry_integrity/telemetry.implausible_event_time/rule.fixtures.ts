import { agent, type RuleFixture } from '../../../src/testing/fixtures.ts';

const bot = agent('invoice-bot');
const call = (at: string, arrive: string) => ({ at, arrive, kind: 'tool_call', agent_id: bot, tool: 'erp.invoice.read', outcome: 'success' });
export const fixtures: RuleFixture[] = [
  {
    name: 'an event dated a year ahead of its arrival is high, and its repeats fold into the day',
    events: [call('+9h', '+9h'), call('+366d', '+9h1m'), call('+400d', '+9h2m'), call('+9h3m', '+9h3m')],
    expect: [{ severity: 'high', count: 2, title: 'sent events dated 365 days after they arrived', first_seen: '+9h1m', last_seen: '+9h2m' }],
  },
  {
    name: 'ten minutes ahead is medium (beyond the 5 min skew, under a day)',
    events: [call('+9h10m', '+9h')],
    expect: [{ severity: 'medium' }],
  },
  {
    name: 'an event dated two months before its arrival is low',
    events: [call('+1d', '+61d')],
    expect: [{ severity: 'low', title: 'sent events dated 60 days before they arrived' }],
  },
  {
    name: 'within the skew ahead and within max_event_age behind is quiet',
    events: [call('+9h4m', '+9h'), call('+1d', '+29d'), call('+2d', '+2d')],
    expect: [],
  },
  {
    name: 'bounds come from the detection config',
    config: { max_future_skew: '1h', max_event_age: '90d' },
    events: [call('+9h50m', '+9h'), call('+1d', '+61d')],
    expect: [],
  },
];
