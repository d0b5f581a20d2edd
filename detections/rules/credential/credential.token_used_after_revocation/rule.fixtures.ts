import { agent, type RuleFixture } from '../../../src/testing/fixtures.ts';

const bot = agent('invoice-bot');
const issue = { at: '+9h', kind: 'token_issued', agent_id: bot, token_id: 't1', issuer: 'idp', scopes: ['erp.read'], expires_at: '2026-11-02T10:00:00Z' };
const revoke = { at: '+9h10m', kind: 'token_revoked', agent_id: bot, token_id: 't1', reason: 'task finished' };
const use = (at: string, outcome = 'success') => ({ at, kind: 'tool_call', agent_id: bot, tool: 'erp.invoice.read', outcome, token_id: 't1' });
export const fixtures: RuleFixture[] = [
  {
    name: 'an accepted call after revocation is critical; repeats fold',
    events: [issue, revoke, use('+9h20m'), use('+9h21m')],
    expect: [{ severity: 'critical', count: 2, title: 'used token t1 after it was revoked' }],
  },
  {
    name: 'uses before revocation pass',
    events: [issue, use('+9h5m'), revoke],
    expect: [],
  },
];
