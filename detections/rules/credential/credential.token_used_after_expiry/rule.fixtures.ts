import { agent, type RuleFixture } from '../../../src/testing/fixtures.ts';

const bot = agent('invoice-bot');
const issue = { at: '+9h', kind: 'token_issued', agent_id: bot, token_id: 't1', issuer: 'idp', scopes: ['erp.read'], expires_at: '2026-11-02T09:15:00Z' };
const use = (at: string, outcome = 'success') => ({ at, kind: 'tool_call', agent_id: bot, tool: 'erp.invoice.read', outcome, token_id: 't1' });
export const fixtures: RuleFixture[] = [
  {
    name: 'accepted use two hours after expiry is high',
    events: [issue, use('+11h15m')],
    expect: [{ severity: 'high', title: 'used token t1 2h after it expired' }],
  },
  {
    name: 'a rejected use after expiry is medium',
    events: [issue, use('+11h15m', 'denied')],
    expect: [{ severity: 'medium' }],
  },
  {
    name: 'use before expiry, or within the clock skew, passes',
    events: [issue, use('+9h14m'), use('+9h15m20s')],
    expect: [],
  },
];
