import { agent, type RuleFixture } from '../../../src/testing/fixtures.ts';

const bot = agent('invoice-bot');
const tok = (at: string, id: string, expires_at: string) => ({
  at,
  kind: 'token_issued',
  agent_id: bot,
  token_id: id,
  issuer: 'vault',
  scopes: ['erp.read'],
  expires_at,
});
export const fixtures: RuleFixture[] = [
  {
    name: 'a 30-day token for a 1h agent is high',
    events: [tok('+9h', 'long', '2026-12-02T09:00:00Z')],
    expect: [{ severity: 'high', title: 'valid for 30d, above its maximum of 1h' }],
  },
  {
    name: 'a 4h token is medium',
    events: [tok('+9h', 'mid', '2026-11-02T13:00:00Z')],
    expect: [{ severity: 'medium' }],
  },
  {
    name: 'exactly the max, or a few seconds over (clock skew), passes',
    events: [tok('+9h', 'ok1', '2026-11-02T10:00:00Z'), tok('+9h', 'ok2', '2026-11-02T10:00:10Z')],
    expect: [],
  },
];
