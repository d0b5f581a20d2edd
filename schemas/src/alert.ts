import { z } from 'zod';
import { Rfc3339 } from './common.ts';

export const CATEGORIES = [
  'out_of_registry',
  'lifecycle',
  'scope_drift',
  'credential',
  'delegation',
  'behavior_drift',
  'runtime',
  'telemetry_integrity',
] as const;
export const Category = z.enum(CATEGORIES);
export type Category = z.infer<typeof Category>;

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export const Severity = z.enum(SEVERITIES);
export type Severity = z.infer<typeof Severity>;

/** Numeric rank of a severity, for "at least" filters. */
export const severityRank = (s: Severity): number => SEVERITIES.indexOf(s);

export const ALERT_STATUSES = ['new', 'acknowledged', 'resolved', 'false_positive', 'suppressed'] as const;
export const AlertStatus = z.enum(ALERT_STATUSES);
export type AlertStatus = z.infer<typeof AlertStatus>;

/** An alert, alerts.md v1. */
export const Alert = z.strictObject({
  alert_id: z.string().min(1),
  rule_id: z.string().min(1),
  rule_version: z.string().min(1),
  category: Category,
  severity: Severity,
  risk_score: z.number().int().min(0).max(100),
  agent_id: z.string().min(1),
  owner: z.string().nullable(),
  title: z.string().min(1),
  summary: z.string().min(1),
  first_seen: Rfc3339,
  last_seen: Rfc3339,
  count: z.number().int().min(1),
  evidence: z.looseObject({ event_ids: z.array(z.string()) }),
  tags: z.array(z.string()),
  status: AlertStatus,
  /** 1.1: the suppression that matched (alerts.md "Suppressions"); present only when `status` is `suppressed`. */
  suppression_id: z.string().min(1).optional(),
  /** 1.1: who the alert is assigned to (triage, api.md); absent or null when nobody. */
  assignee: z.string().min(1).nullable().optional(),
});
export type Alert = z.infer<typeof Alert>;
