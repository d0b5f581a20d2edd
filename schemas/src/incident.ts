import { z } from 'zod';
import { Category, Severity } from './alert.ts';
import { Rfc3339 } from './common.ts';

/** Triage states of an incident (alerts.md 1.1: "as alerts"; an incident is never suppressed itself). */
export const INCIDENT_STATUSES = ['new', 'acknowledged', 'resolved', 'false_positive'] as const;
export const IncidentStatus = z.enum(INCIDENT_STATUSES);
export type IncidentStatus = z.infer<typeof IncidentStatus>;

/**
 * An incident (alerts.md "Incidents", version 1.1): the alerts of one agent, and of agents joined to it by a
 * delegation chain or a shared token, whose event times fall within `incident_window` of each other.
 */
export const Incident = z.strictObject({
  /** Deterministic from its first alert (detections/src/incidents/incident-id.ts). */
  incident_id: z.string().min(1),
  agent_ids: z.array(z.string()),
  owners: z.array(z.string()),
  /** In timeline order (first_seen, then alert_id). */
  alert_ids: z.array(z.string()),
  alert_count: z.number().int().min(1),
  first_seen: Rfc3339,
  last_seen: Rfc3339,
  risk_score: z.number().int().min(0).max(100),
  /** How the score was reached, e.g. "3 categories, 1 critical, 8 alerts within 12 minutes: ...". */
  risk_explanation: z.string(),
  severity: Severity,
  categories: z.array(Category),
  title: z.string().min(1),
  status: IncidentStatus,
  /** Who the incident is assigned to (triage); absent or null when nobody. */
  assignee: z.string().min(1).nullable().optional(),
});
export type Incident = z.infer<typeof Incident>;
