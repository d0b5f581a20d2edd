import { agent, type RuleFixture } from '../../../src/testing/fixtures.ts';

const parent = {
  at: '+9h',
  kind: 'token_issued',
  agent_id: agent('planner'),
  token_id: 'p1',
  issuer: 'idp',
  scopes: ['research.read', 'docs.read'],
  expires_at: '2026-11-02T10:00:00Z',
  event_id: 'parent',
};
const child = (scopes: string[], expires_at = '2026-11-02T09:30:00Z') => ({
  at: '+9h1m',
  kind: 'token_issued',
  agent_id: agent('research'),
  token_id: 'c1',
  issuer: 'idp',
  scopes,
  expires_at,
  parent_token_id: 'p1',
});
export const fixtures: RuleFixture[] = [
  {
    name: 'a child with an extra write scope is high',
    events: [parent, child(['research.read', 'research.write'])],
    expect: [{ severity: 'high', title: 'has scopes research.write its parent lacks', event_ids: ['parent'] }],
  },
  {
    name: 'a child outliving its parent is medium',
    events: [parent, child(['docs.read'], '2026-11-02T12:00:00Z')],
    expect: [{ severity: 'medium', title: "a lifetime 2h past its parent's" }],
  },
  {
    name: 'a narrower, shorter child passes',
    events: [parent, child(['docs.read'])],
    expect: [],
  },
];
