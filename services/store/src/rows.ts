import type { Alert, AlertStatus, CanonicalEvent, Category, Severity } from '@agentwatch/schemas';
import { severityRank } from '@agentwatch/schemas';

/**
 * Milliseconds since the epoch -> `YYYY-MM-DD hh:mm:ss.sss` (UTC), the text every DateTime64(3, 'UTC') column
 * parses with the default (basic) input format, on chdb and on a server alike.
 */
export function chTime(ms: number): string {
  if (!Number.isFinite(ms)) throw new Error(`not a time: ${ms}`);
  return new Date(ms).toISOString().slice(0, 23).replace('T', ' ');
}

/** An RFC 3339 timestamp, Date or epoch milliseconds -> epoch milliseconds. */
export function toMs(value: string | number | Date): number {
  const ms = typeof value === 'number' ? value : value instanceof Date ? value.getTime() : Date.parse(value);
  if (!Number.isFinite(ms)) throw new Error(`not a time: ${JSON.stringify(value)}`);
  return ms;
}

/** The row written to `events` (see 001_events.sql). */
export interface EventRow {
  event_id: string;
  time: string;
  agent_id: string;
  kind: string;
  source: string;
  environment: string;
  session_id: string;
  task_id: string;
  on_behalf_of: string;
  delegation_chain: string[];
  source_ip: string;
  tool: string;
  action: string;
  resource: string;
  outcome: string;
  decision: string;
  token_id: string;
  bytes_in: number;
  bytes_out: number;
  records: number;
  duration_ms: number;
  attributes: Record<string, string>;
  raw: string;
  ingested_at: string;
}

/** Flattens a canonical event into its `events` row; `raw` keeps the event verbatim. */
export function eventToRow(e: CanonicalEvent, ingestedAt: string): EventRow {
  const row: EventRow = {
    event_id: e.event_id,
    time: chTime(toMs(e.time)),
    agent_id: e.agent_id,
    kind: e.kind,
    source: e.source ?? '',
    environment: e.environment ?? '',
    session_id: e.session_id ?? '',
    task_id: e.task_id ?? '',
    on_behalf_of: e.on_behalf_of ?? '',
    delegation_chain: e.delegation_chain ?? [],
    source_ip: e.source_ip ?? '',
    tool: '',
    action: '',
    resource: '',
    outcome: '',
    decision: '',
    token_id: '',
    bytes_in: 0,
    bytes_out: 0,
    records: 0,
    duration_ms: 0,
    attributes: e.attributes ?? {},
    raw: JSON.stringify(e),
    ingested_at: ingestedAt,
  };
  switch (e.kind) {
    case 'tool_call':
      row.tool = e.tool;
      row.action = e.action ?? '';
      row.resource = e.resource ?? '';
      row.outcome = e.outcome;
      row.token_id = e.token_id ?? '';
      row.bytes_in = e.bytes_in ?? 0;
      row.bytes_out = e.bytes_out ?? 0;
      row.records = e.records ?? 0;
      row.duration_ms = e.duration_ms ?? 0;
      break;
    case 'token_issued':
    case 'token_revoked':
      row.token_id = e.token_id;
      break;
    case 'policy_decision':
      row.decision = e.decision;
      row.tool = e.tool ?? '';
      row.resource = e.resource ?? '';
      row.action = e.action ?? '';
      row.token_id = e.token_id ?? '';
      break;
  }
  return row;
}

/** The row written to `alerts` (see 002_alerts.sql). */
export interface AlertRow {
  alert_id: string;
  rule_id: string;
  rule_version: string;
  category: string;
  severity: string;
  severity_rank: number;
  risk_score: number;
  agent_id: string;
  owner: string | null;
  title: string;
  summary: string;
  first_seen: string;
  last_seen: string;
  count: number;
  evidence: string;
  tags: string[];
  status: string;
  /** '' unless `status` is 'suppressed' by detection (014_suppressions.sql). */
  suppression_id: string;
  /** Triage-owned (migration 012); null: nobody. */
  assignee: string | null;
  status_changed_at: string;
  created_at: string;
  updated_at: string;
  version: number;
  /** 1 for a new alert, +1 per change of count, status or severity (the version exporters deliver; migration 016). */
  export_version: number;
}

/** Columns selected to rebuild an alert: times as epoch ms, so no text time format is ever parsed back. */
export const ALERT_SELECT = `alert_id, rule_id, rule_version, category, severity, risk_score, agent_id, owner, title, summary,
  toUnixTimestamp64Milli(first_seen) AS first_seen_ms, toUnixTimestamp64Milli(last_seen) AS last_seen_ms, count, evidence, tags, status, suppression_id, assignee,
  toUnixTimestamp64Milli(status_changed_at) AS status_changed_at_ms, toUnixTimestamp64Milli(created_at) AS created_at_ms, version, export_version`;

/** A row as read with {@link ALERT_SELECT} (64-bit integers arrive as JSON strings). */
export interface AlertReadRow {
  alert_id: string;
  rule_id: string;
  rule_version: string;
  category: string;
  severity: string;
  risk_score: number;
  agent_id: string;
  owner: string | null;
  title: string;
  summary: string;
  first_seen_ms: string | number;
  last_seen_ms: string | number;
  count: string | number;
  evidence: string;
  tags: string[];
  status: string;
  suppression_id: string;
  assignee: string | null;
  status_changed_at_ms: string | number;
  created_at_ms: string | number;
  version: string | number;
  export_version: string | number;
}

/** An alert as stored, with the store's bookkeeping beside it. */
export interface StoredAlert {
  alert: Alert;
  statusChangedAtMs: number;
  createdAtMs: number;
  version: number;
  /** The export version the alert is at (0: stored before the outbox, or never exported). */
  exportVersion: number;
}

export function readAlertRow(r: AlertReadRow): StoredAlert {
  return {
    alert: {
      alert_id: r.alert_id,
      rule_id: r.rule_id,
      rule_version: r.rule_version,
      category: r.category as Category,
      severity: r.severity as Severity,
      risk_score: Number(r.risk_score),
      agent_id: r.agent_id,
      owner: r.owner,
      title: r.title,
      summary: r.summary,
      first_seen: new Date(Number(r.first_seen_ms)).toISOString(),
      last_seen: new Date(Number(r.last_seen_ms)).toISOString(),
      count: Number(r.count),
      evidence: JSON.parse(r.evidence) as Alert['evidence'],
      tags: r.tags,
      status: r.status as AlertStatus,
      ...(r.suppression_id ? { suppression_id: r.suppression_id } : {}),
      assignee: r.assignee ?? null,
    },
    statusChangedAtMs: Number(r.status_changed_at_ms),
    createdAtMs: Number(r.created_at_ms),
    version: Number(r.version),
    exportVersion: Number(r.export_version),
  };
}

export function alertToRow(s: StoredAlert, updatedAtMs: number): AlertRow {
  const a = s.alert;
  return {
    alert_id: a.alert_id,
    rule_id: a.rule_id,
    rule_version: a.rule_version,
    category: a.category,
    severity: a.severity,
    severity_rank: severityRank(a.severity),
    risk_score: a.risk_score,
    agent_id: a.agent_id,
    owner: a.owner,
    title: a.title,
    summary: a.summary,
    first_seen: chTime(toMs(a.first_seen)),
    last_seen: chTime(toMs(a.last_seen)),
    count: a.count,
    evidence: JSON.stringify(a.evidence),
    tags: a.tags,
    status: a.status,
    // Only a suppressed alert names its suppression (an analyst's later status leaves it behind).
    suppression_id: a.status === 'suppressed' ? (a.suppression_id ?? '') : '',
    assignee: a.assignee ?? null,
    status_changed_at: chTime(s.statusChangedAtMs),
    created_at: chTime(s.createdAtMs),
    updated_at: chTime(updatedAtMs),
    version: s.version,
    export_version: s.exportVersion,
  };
}

/** Most evidence event ids kept when two emissions of one alert are merged (the engine keeps 25 per emission). */
export const MAX_MERGED_EVIDENCE_IDS = 100;

/**
 * Whether a stored status is detection's own verdict rather than an analyst's decision: `new`, or `suppressed` by a
 * suppression (with its id). An analyst's acknowledged / resolved / false_positive, or a `suppressed` set by hand
 * (no suppression id), is a decision that no later emission undoes.
 */
export const isDetectionStatus = (a: Alert): boolean => a.status === 'new' || (a.status === 'suppressed' && a.suppression_id !== undefined);

/**
 * Merges a new emission of an alert into the stored one. Detection-owned fields come from whichever emission is
 * newer (higher `count`, then later `last_seen`; a tie goes to the incoming one), so a stale replay never rolls an
 * alert back; `first_seen`/`last_seen` widen; `count` never decreases; evidence event ids are unioned. Triage
 * `status` stays as stored, except that detection's own verdict ({@link isDetectionStatus}) follows the newer
 * emission: an untriaged alert becomes `suppressed` (with the suppression id) when a suppression hides its newer
 * emission, and `new` again when it no longer does (the suppression expired in event time or was deleted). An
 * analyst's decision is never changed by a suppression. `assignee` stays as stored.
 */
export function mergeAlert(stored: Alert, incoming: Alert): Alert {
  const incomingNewer = incoming.count > stored.count || (incoming.count === stored.count && toMs(incoming.last_seen) >= toMs(stored.last_seen));
  const base = incomingNewer ? incoming : stored;
  const other = incomingNewer ? stored : incoming;
  const ids = [...base.evidence.event_ids];
  for (const id of other.evidence.event_ids) {
    if (ids.length >= MAX_MERGED_EVIDENCE_IDS) break;
    if (!ids.includes(id)) ids.push(id);
  }
  const firstMs = Math.min(toMs(stored.first_seen), toMs(incoming.first_seen));
  const lastMs = Math.max(toMs(stored.last_seen), toMs(incoming.last_seen));
  const { suppression_id: _ignored, ...detected } = base;
  return {
    ...detected,
    first_seen: new Date(firstMs).toISOString(),
    last_seen: new Date(lastMs).toISOString(),
    count: Math.max(stored.count, incoming.count),
    evidence: { ...base.evidence, event_ids: ids },
    ...mergedStatus(stored, base),
    assignee: stored.assignee ?? null,
  };
}

/** The status (and suppression id) a merge keeps: see {@link mergeAlert}. */
function mergedStatus(stored: Alert, newer: Alert): Pick<Alert, 'status' | 'suppression_id'> {
  const from = isDetectionStatus(stored) ? newer : stored;
  if (from.status === 'suppressed' && from.suppression_id !== undefined) return { status: 'suppressed', suppression_id: from.suppression_id };
  return { status: isDetectionStatus(stored) ? 'new' : stored.status };
}

/** Canonical form used to decide whether a merge changed anything (times normalised to ms ISO). */
export function alertFingerprint(a: Alert): string {
  return JSON.stringify({ ...a, first_seen: new Date(toMs(a.first_seen)).toISOString(), last_seen: new Date(toMs(a.last_seen)).toISOString() });
}
