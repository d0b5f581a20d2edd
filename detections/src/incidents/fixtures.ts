import { type Alert, type Category, type Incident, type Severity, severityRank } from '@agentwatch/schemas';
import { FIXTURE_EPOCH_MS, type Offset, offsetToMs } from '../testing/fixtures.ts';
import { compareIncidents, IncidentGrouper } from './grouper.ts';
import { incidentId } from './incident-id.ts';

/** A fixture alert: the fields grouping reads, times as offsets from the fixture epoch, agents by short name. */
export interface FixtureAlert {
  /** Alert id (also used to name it in `expect`). */
  id: string;
  /** Short name: becomes `spiffe://corp.example/agents/<agent>` (a full id is kept as it is). */
  agent: string;
  rule?: string;
  category?: Category;
  severity?: Severity;
  owner?: string | null;
  at: Offset;
  /** Last event (default: `at`). */
  until?: Offset;
  /** Evidence `linked_agent_ids` (short names as for `agent`). */
  linked?: string[];
  /** Evidence `token_ids`. */
  tokens?: string[];
  /** Default `new`. */
  status?: Alert['status'];
}

export interface ExpectedIncident {
  /** Its alert ids, in any order; the incident id must be derived from the earliest of them. */
  alerts: string[];
  agents?: string[];
  severity?: Severity;
  categories?: Category[];
  risk_score?: number;
  /** Substrings the title must contain. */
  title?: string[];
  /** Substring of risk_explanation. */
  explanation?: string;
}

export interface IncidentFixture {
  name: string;
  /** incident_window; default 6h. */
  window?: Offset;
  alerts: FixtureAlert[];
  /** Every incident, in first_seen order. */
  expect: ExpectedIncident[];
}

const agentId = (name: string): string => (name.includes(':') ? name : `spiffe://corp.example/agents/${name}`);
const iso = (o: Offset): string => new Date(FIXTURE_EPOCH_MS + offsetToMs(o)).toISOString();

/** A fixture alert as the engine would emit it. */
export function fixtureAlert(f: FixtureAlert): Alert {
  const category = f.category ?? 'scope_drift';
  const severity = f.severity ?? 'medium';
  return {
    alert_id: f.id,
    rule_id: f.rule ?? 'scope.tool_outside_registry',
    rule_version: '1.0.0',
    category,
    severity,
    risk_score: 10 + severityRank(severity) * 20,
    agent_id: agentId(f.agent),
    owner: f.owner === undefined ? 'alice@corp.example' : f.owner,
    title: `${f.rule ?? 'scope.tool_outside_registry'} by ${f.agent}`,
    summary: 'fixture alert',
    first_seen: iso(f.at),
    last_seen: iso(f.until ?? f.at),
    count: 1,
    evidence: {
      event_ids: [`${f.id}-e`],
      ...(f.linked ? { linked_agent_ids: f.linked.map(agentId) } : {}),
      ...(f.tokens ? { token_ids: f.tokens } : {}),
    },
    tags: [],
    status: f.status ?? 'new',
  };
}

/** Feeds alerts to a fresh grouper in the given order; the incidents at the end. */
export function groupAll(alerts: readonly Alert[], windowMs: number): Incident[] {
  const g = new IncidentGrouper({ windowMs });
  for (const a of alerts) g.add(a);
  return g.incidentsNow();
}

/**
 * The orders a fixture is checked in: as written, reversed, and "live" (each alert first as it opened: one event,
 * no links; its final version after all the others opened). Grouping must not depend on order.
 */
export function feedOrders(alerts: readonly Alert[]): Array<{ name: string; alerts: Alert[] }> {
  const opened = alerts.map((a) => ({ ...a, last_seen: a.first_seen, evidence: { event_ids: a.evidence.event_ids } }));
  return [
    { name: 'as written', alerts: [...alerts] },
    { name: 'reversed', alerts: [...alerts].reverse() },
    { name: 'live (opened, then grown)', alerts: [...opened, ...alerts] },
  ];
}

/** Runs a fixture; returns what went wrong (empty when it passes). */
export function checkIncidentFixture(f: IncidentFixture): string[] {
  const windowMs = offsetToMs(f.window ?? '6h');
  const alerts = f.alerts.map(fixtureAlert);
  const problems: string[] = [];
  const results = feedOrders(alerts).map((o) => ({ name: o.name, incidents: groupAll(o.alerts, windowMs) }));
  const reference = results[0]?.incidents ?? [];
  for (const r of results.slice(1)) {
    if (JSON.stringify(r.incidents) !== JSON.stringify(reference)) problems.push(`fed ${r.name}: incidents differ from fed as written`);
  }
  const expected = [...f.expect];
  if (reference.length !== expected.length) problems.push(`expected ${expected.length} incident(s), got ${reference.length}: ${describe(reference)}`);
  const byFirst = new Map(alerts.map((a) => [a.alert_id, a]));
  expected.sort((x, y) => {
    const fx = firstOf(x.alerts, byFirst);
    const fy = firstOf(y.alerts, byFirst);
    return cmpStr(fx?.first_seen ?? '', fy?.first_seen ?? '') || cmpStr(incidentId(fx?.alert_id ?? ''), incidentId(fy?.alert_id ?? ''));
  });
  expected.forEach((e, i) => {
    const got = [...reference].sort(compareIncidents)[i];
    const label = `incident #${i + 1} (${e.alerts.join(', ')})`;
    if (!got) return;
    const want = [...e.alerts].sort();
    if (JSON.stringify([...got.alert_ids].sort()) !== JSON.stringify(want)) problems.push(`${label}: got alerts ${got.alert_ids.join(', ')}`);
    const first = firstOf(e.alerts, byFirst);
    if (first && got.incident_id !== incidentId(first.alert_id))
      problems.push(`${label}: id ${got.incident_id} is not that of its first alert ${first.alert_id}`);
    if (e.agents && JSON.stringify(got.agent_ids) !== JSON.stringify(e.agents.map(agentId).sort()))
      problems.push(`${label}: agents ${got.agent_ids.join(', ')}`);
    if (e.severity && got.severity !== e.severity) problems.push(`${label}: severity ${got.severity}, expected ${e.severity}`);
    if (e.categories && JSON.stringify(got.categories) !== JSON.stringify([...e.categories].sort()))
      problems.push(`${label}: categories ${got.categories.join(', ')}`);
    if (e.risk_score !== undefined && got.risk_score !== e.risk_score)
      problems.push(`${label}: risk ${got.risk_score} (${got.risk_explanation}), expected ${e.risk_score}`);
    for (const t of e.title ?? []) if (!got.title.includes(t)) problems.push(`${label}: title "${got.title}" lacks "${t}"`);
    if (e.explanation && !got.risk_explanation.includes(e.explanation))
      problems.push(`${label}: explanation "${got.risk_explanation}" lacks "${e.explanation}"`);
  });
  return problems;
}

function firstOf(ids: readonly string[], alerts: Map<string, Alert>): Alert | undefined {
  return ids
    .map((id) => alerts.get(id))
    .filter((a): a is Alert => a !== undefined)
    .sort((a, b) => cmpStr(a.first_seen, b.first_seen) || cmpStr(a.alert_id, b.alert_id))[0];
}

const cmpStr = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const describe = (incidents: readonly Incident[]): string => incidents.map((i) => `[${i.alert_ids.join(', ')}]`).join(' ');

/** Runs fixtures (by file) as `agentwatch rules test` does: how many passed, and each failure with what went wrong. */
export function runIncidentFixtures(byFile: Readonly<Record<string, readonly IncidentFixture[]>>): {
  passed: number;
  failed: Array<{ file: string; fixture: string; message: string }>;
} {
  let passed = 0;
  const failed: Array<{ file: string; fixture: string; message: string }> = [];
  for (const [file, list] of Object.entries(byFile))
    for (const f of list) {
      const problems = checkIncidentFixture(f);
      if (problems.length === 0) passed++;
      else failed.push({ file, fixture: f.name, message: problems.join('; ') });
    }
  return { passed, failed };
}
