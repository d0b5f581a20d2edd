import { agent, type RuleFixture } from '../../../src/testing/fixtures.ts';

const bot = agent('invoice-bot');
const tok = (at: string, id: string, scopes: string[], who = bot) => ({
  at,
  kind: 'token_issued',
  agent_id: who,
  token_id: id,
  issuer: 'https://idp.corp.example',
  scopes,
  expires_at: '2026-11-02T10:00:00Z',
});
export const fixtures: RuleFixture[] = [
  {
    name: 'an admin scope beyond the declared ones is high',
    events: [tok('+9h', 't1', ['erp.read', 'erp.admin'])],
    expect: [{ severity: 'high', title: 'with scopes erp.admin outside' }],
  },
  {
    name: 'declared scopes and glob scopes pass',
    events: [tok('+9h', 't1', ['erp.read', 'erp.write']), tok('+9h1m', 't2', ['research.read', 'docs.read'], agent('planner')), tok('+9h2m', 't3', [])],
    expect: [],
  },
];
