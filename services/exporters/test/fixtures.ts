import { type Alert, CATEGORIES, type Incident, SEVERITIES } from '@agentwatch/schemas';
import type { Delivery, Origin } from '../src/formats/delivery.ts';

/** Hand-made alerts and incidents for the format tests: every category, every severity, every status. */
export const ORIGIN: Origin = { productVersion: '0.1.0', hostname: 'aw-test.example' };

export const baseAlert = (over: Partial<Alert> = {}): Alert => ({
  alert_id: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
  rule_id: 'delegation.chain_too_deep',
  rule_version: '1.0.0',
  category: 'delegation',
  severity: 'medium',
  risk_score: 60,
  agent_id: 'spiffe://corp.example/agents/sql-analyst',
  owner: 'elif.johansson@corp.example',
  title: 'Delegation chain of 3 agents reached sql-analyst',
  summary: 'sql-analyst acted through the chain user:felix@corp.example, research-planner, sql-analyst.',
  first_seen: '2026-10-16T08:02:58.728Z',
  last_seen: '2026-10-16T08:03:15.506Z',
  count: 2,
  evidence: {
    event_ids: ['e-1', 'e-2'],
    delegation_chain: ['user:felix@corp.example', 'spiffe://corp.example/agents/research-planner', 'spiffe://corp.example/agents/sql-analyst'],
    token_ids: ['jti-1', 'jti-2'],
    tool: 'sql.query',
    action: 'read',
    resource: 'db://warehouse/payroll',
    session_id: 'sess-1',
  },
  tags: ['owasp-agentic:ASI03', 'mitre-attack:T1078'],
  status: 'new',
  ...over,
});

export const delivery = (over: Partial<Delivery> = {}): Delivery => ({
  exporter: 'lake',
  version: 1,
  activity: 'created',
  time: '2026-10-16T08:03:16.000Z',
  ...over,
});

/** One alert per category x severity, plus each triage status and odd shapes (no owner, no evidence context). */
export function edgeAlerts(): Alert[] {
  const out: Alert[] = [];
  for (const category of CATEGORIES) for (const severity of SEVERITIES) out.push(baseAlert({ alert_id: `${category}-${severity}`, category, severity }));
  out.push(baseAlert({ alert_id: 'suppressed', status: 'suppressed', suppression_id: 'sup-1' }));
  out.push(baseAlert({ alert_id: 'resolved', status: 'resolved', assignee: 'sam@corp.example' }));
  out.push(baseAlert({ alert_id: 'fp', status: 'false_positive' }));
  out.push(baseAlert({ alert_id: 'ack', status: 'acknowledged' }));
  out.push(baseAlert({ alert_id: 'bare', owner: null, tags: [], evidence: { event_ids: [] } }));
  out.push(
    baseAlert({
      alert_id: 'odd-evidence',
      title: 'pipes | equals = backslash \\ newline \n tab \t emoji 🦜 nul \u0000',
      evidence: { event_ids: ['x'], delegation_chain: 'not a list', token_ids: [1, null, 'jti-ok'], tool: 42, issued_to: 'spiffe://corp.example/agents/other' },
    }),
  );
  return out;
}

export const baseIncident = (over: Partial<Incident> = {}): Incident => ({
  incident_id: 'inc-90c8c7ad98de836e0fd75ead9b57105d',
  agent_ids: ['spiffe://corp.example/agents/research-planner', 'spiffe://corp.example/agents/sql-analyst'],
  owners: ['elif.johansson@corp.example'],
  alert_ids: ['a1', 'a2', 'a3'],
  alert_count: 3,
  first_seen: '2026-10-16T08:02:58.728Z',
  last_seen: '2026-10-16T09:03:15.506Z',
  risk_score: 75,
  risk_explanation: '2 categories, 1 critical, 3 alerts within 61 minutes',
  severity: 'critical',
  categories: ['delegation', 'credential'],
  title: 'research-planner, sql-analyst: delegation chain too deep, token reuse',
  status: 'new',
  ...over,
});
