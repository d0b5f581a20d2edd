import { agent, type RuleFixture } from '../../../src/testing/fixtures.ts';

const issue = {
  at: '+9h',
  kind: 'token_issued',
  agent_id: agent('invoice-bot'),
  token_id: 'tok-91',
  issuer: 'idp',
  scopes: ['erp.read'],
  expires_at: '2026-11-02T10:00:00Z',
  event_id: 'iss',
};
export const fixtures: RuleFixture[] = [
  {
    name: 'research using invoice-bot token',
    events: [
      issue,
      { at: '+9h5m', kind: 'tool_call', agent_id: agent('research'), tool: 'docs.read', outcome: 'success', token_id: 'tok-91', event_id: 'use' },
    ],
    expect: [
      { agent_id: agent('research'), severity: 'high', event_ids: ['iss', 'use'], title: 'research used token tok-91, which was issued to invoice-bot' },
    ],
  },
  {
    name: 'the subject using its own token, or unknown tokens, pass',
    events: [
      issue,
      { at: '+9h5m', kind: 'tool_call', agent_id: agent('invoice-bot'), tool: 'erp.invoice.read', outcome: 'success', token_id: 'tok-91' },
      { at: '+9h6m', kind: 'tool_call', agent_id: agent('research'), tool: 'docs.read', outcome: 'success', token_id: 'never-seen' },
    ],
    expect: [],
  },
];
