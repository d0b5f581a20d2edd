import { agent, type RuleFixture } from '../../../src/testing/fixtures.ts';

export const fixtures: RuleFixture[] = [
  {
    name: 'planner handing work straight to payments-bot is not allowed',
    events: [
      {
        at: '+9h',
        kind: 'tool_call',
        agent_id: agent('payments-bot'),
        tool: 'payments.status',
        outcome: 'success',
        delegation_chain: ['user:carol@corp.example', agent('planner'), agent('payments-bot')],
      },
    ],
    expect: [{ agent_id: agent('payments-bot'), title: 'planner delegated to payments-bot, which is not in its may_delegate_to' }],
  },
  {
    name: 'a token exchange from an agent without delegation rights',
    events: [
      {
        at: '+9h',
        kind: 'token_issued',
        agent_id: agent('invoice-bot'),
        token_id: 'p1',
        issuer: 'idp',
        scopes: ['erp.read'],
        expires_at: '2026-11-02T10:00:00Z',
        event_id: 'parent',
      },
      {
        at: '+9h1m',
        kind: 'token_issued',
        agent_id: agent('ocr'),
        token_id: 'c1',
        issuer: 'idp',
        scopes: ['erp.read'],
        expires_at: '2026-11-02T09:30:00Z',
        parent_token_id: 'p1',
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      },
    ],
    expect: [{ agent_id: agent('ocr'), summary: 'declares no delegation, so it may not delegate at all', event_ids: ['parent'] }],
  },
  {
    name: 'allowed hops (planner > research, token exchange planner > research) pass',
    events: [
      {
        at: '+9h',
        kind: 'tool_call',
        agent_id: agent('research'),
        tool: 'docs.read',
        outcome: 'success',
        delegation_chain: ['user:carol@corp.example', agent('planner'), agent('research')],
      },
      {
        at: '+9h',
        kind: 'token_issued',
        agent_id: agent('planner'),
        token_id: 'p1',
        issuer: 'idp',
        scopes: ['research.read'],
        expires_at: '2026-11-02T10:00:00Z',
      },
      {
        at: '+9h1m',
        kind: 'token_issued',
        agent_id: agent('research'),
        token_id: 'c1',
        issuer: 'idp',
        scopes: ['research.read'],
        expires_at: '2026-11-02T09:30:00Z',
        parent_token_id: 'p1',
      },
    ],
    expect: [],
  },
];
