// The API 1.1 answers the console reads (api.md "Added in 1.1", issue14-shapes.md). Types only: nothing of
// @agentwatch/schemas (zod) is bundled.
import type { Alert, AlertStatus, CanonicalEvent, Category, Registry, RegistryAgent, Severity } from '@agentwatch/schemas';

export type { Alert, AlertStatus, CanonicalEvent, Category, Registry, RegistryAgent, Severity };

export type Role = 'viewer' | 'analyst' | 'engineer' | 'admin';

export interface Session {
  role: Role;
  actor: string;
  token_id: string | null;
  name: string | null;
  expires_at: string | null;
}

export interface AlertPage {
  alerts: Alert[];
  next_cursor: string | null;
}

export interface StatusChange {
  alert_id: string;
  at: string | null;
  from_status: AlertStatus;
  status: AlertStatus;
  comment: string;
  actor: string;
  assignee?: string | null;
}

export interface Comment {
  comment_id: string;
  alert_id: string;
  at: string;
  actor: string;
  text: string;
}

export interface ChainLink {
  id: string;
  kind: 'person' | 'agent';
  registered: boolean;
  owner?: string | null;
}

export interface Baseline {
  hour_of_day_events: number[];
  typical_hourly_events: number;
  this_hour: string;
  this_hour_events: number;
  /** Hours with activity before the alert's hour, in the window the figures come from (0: no history). */
  active_hours?: number;
  /** What the rule compared (from the alert's evidence). */
  rule_figures?: Record<string, unknown>;
  [figure: string]: unknown;
}

export interface AlertDetail {
  alert: Alert;
  events: CanonicalEvent[];
  history: StatusChange[];
  comments?: Comment[];
  registry?: RegistryAgent | null;
  baseline?: Baseline | null;
  chain?: ChainLink[];
  related?: Alert[];
}

export type IncidentStatus = 'new' | 'acknowledged' | 'resolved' | 'false_positive';

export interface Incident {
  incident_id: string;
  agent_ids: string[];
  owners: string[];
  alert_ids: string[];
  first_seen: string;
  last_seen: string;
  risk_score: number;
  risk_explanation: string;
  severity: Severity;
  categories: Category[];
  title: string;
  status: IncidentStatus;
  alert_count: number;
}

export interface IncidentDetail {
  incident: Incident;
  alerts: Alert[];
  history: Array<{ incident_id: string; at: string; from_status: string; status: string; comment: string; actor: string; assignee?: string | null }>;
}

export interface SuppressionMatch {
  rule_id?: string;
  agent_id?: string;
  tool?: string;
  resource?: string;
  category?: Category;
}

export interface Suppression {
  id: string;
  match: SuppressionMatch;
  reason: string;
  author: string;
  created_at: string;
  expires_at: string;
  hits: number;
  last_hit: string | null;
  expired: boolean;
  deleted_at?: string | null;
}

export interface HourlyPoint {
  hour: string;
  events: number;
  calls?: number;
  denied?: number;
  bytes_out?: number;
}

export interface AgentTokenSeen {
  token_id: string;
  issuer?: string;
  scopes?: string[];
  first_seen: string;
  last_seen: string;
  events: number;
}

export interface AgentView {
  agent_id: string;
  registered: boolean;
  registry: RegistryAgent | null;
  activity: { first_seen: string; last_seen: string; events: number } | null;
  alerts: { total: number; open: number; max_severity: Severity | null };
  hourly?: HourlyPoint[];
  tokens?: AgentTokenSeen[];
}

export interface TokenInfo {
  token_id: string;
  name: string;
  role: Role;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  created_by: string;
}

export interface CreatedToken {
  token: string;
  token_id: string;
  name: string;
  role: Role;
  created_at: string;
  expires_at: string | null;
}

export interface RegistryVersion {
  sha256: string;
  loaded_at: string;
  agent_count: number;
  source: string;
}

export interface ValidationResult {
  valid: boolean;
  agent_count: number;
  errors: Array<{ path: string; message: string }>;
}
