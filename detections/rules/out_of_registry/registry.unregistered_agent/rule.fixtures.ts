import { agent, type RuleFixture } from '../../../src/testing/fixtures.ts';

export const fixtures: RuleFixture[] = [
  {
    name: 'an unknown agent calling tools raises one alert per day, folding its calls',
    events: [
      { at: '+9h', kind: 'tool_call', agent_id: agent('shadow-bot'), tool: 'crm.contacts.export', outcome: 'success' },
      { at: '+9h5m', kind: 'tool_call', agent_id: agent('shadow-bot'), tool: 'crm.contacts.read', outcome: 'success' },
      { at: '+1d9h', kind: 'tool_call', agent_id: agent('shadow-bot'), tool: 'crm.contacts.read', outcome: 'success' },
    ],
    expect: [
      { agent_id: agent('shadow-bot'), count: 2, title: 'Unregistered agent shadow-bot called crm.contacts.export', event_ids: ['f-1', 'f-2'] },
      { agent_id: agent('shadow-bot'), count: 1 },
    ],
  },
  {
    name: 'a token issued to an unlisted agent is out of registry',
    events: [
      { at: '+1h', kind: 'token_issued', agent_id: 'client-7f3a', token_id: 't1', issuer: 'okta', scopes: ['api.read'], expires_at: '2026-11-02T02:00:00Z' },
    ],
    expect: [{ agent_id: 'client-7f3a', title: 'was issued token t1 by okta', severity: 'high' }],
  },
  {
    name: 'registered agents stay quiet, whatever their status',
    events: [
      { at: '+1h', kind: 'tool_call', agent_id: agent('invoice-bot'), tool: 'erp.invoice.read', outcome: 'success' },
      { at: '+2h', kind: 'tool_call', agent_id: agent('legacy-sync'), tool: 'crm.sync', outcome: 'success' },
    ],
    expect: [],
  },
];
