import { agent, type RuleFixture } from '../../../src/testing/fixtures.ts';

export const fixtures: RuleFixture[] = [
  {
    name: 'a retired agent calling a tool is critical',
    events: [{ at: '+3h', kind: 'tool_call', agent_id: agent('legacy-sync'), tool: 'crm.sync', outcome: 'success' }],
    expect: [{ agent_id: agent('legacy-sync'), severity: 'critical', title: 'Retired agent legacy-sync called crm.sync' }],
  },
  {
    name: 'a suspended agent receiving a token is high',
    events: [
      { at: '+3h', kind: 'token_issued', agent_id: agent('quarantined'), token_id: 'tq', issuer: 'vault', scopes: [], expires_at: '2026-11-02T04:00:00Z' },
    ],
    expect: [{ agent_id: agent('quarantined'), severity: 'high', title: 'Suspended agent quarantined was issued token tq' }],
  },
  {
    name: 'active agents, and revocations of a retired agent, are quiet',
    events: [
      { at: '+1h', kind: 'tool_call', agent_id: agent('invoice-bot'), tool: 'erp.invoice.read', outcome: 'success' },
      { at: '+2h', kind: 'token_revoked', agent_id: agent('legacy-sync'), token_id: 'old-1' },
    ],
    expect: [],
  },
];
