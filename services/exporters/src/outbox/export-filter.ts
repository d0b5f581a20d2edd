import { type Alert, type ExportFilter, type Incident, SEVERITIES } from '@agentwatch/schemas';

/**
 * The predicate of an exporter's `filter` (exporters.md): minimum severity, categories, rule ids, statuses. Without
 * `statuses`, suppressed alerts stay out: a suppression is the analysts' decision that the SIEM need not see them.
 */
export function exportFilter(filter: ExportFilter | undefined): (alert: Alert) => boolean {
  const minRank = filter?.min_severity ? SEVERITIES.indexOf(filter.min_severity) : 0;
  const categories = filter?.categories ? new Set<string>(filter.categories) : null;
  const rules = filter?.rule_ids ? new Set(filter.rule_ids) : null;
  const statuses = new Set<string>(filter?.statuses ?? ['new', 'acknowledged', 'resolved', 'false_positive']);
  return (a) =>
    SEVERITIES.indexOf(a.severity) >= minRank &&
    (categories === null || categories.has(a.category)) &&
    (rules === null || rules.has(a.rule_id)) &&
    statuses.has(a.status);
}

/** The same filter for incidents: minimum severity, a category in common, statuses; rule ids do not apply. */
export function exportIncidentFilter(filter: ExportFilter | undefined): (incident: Incident) => boolean {
  const minRank = filter?.min_severity ? SEVERITIES.indexOf(filter.min_severity) : 0;
  const categories = filter?.categories ? new Set<string>(filter.categories) : null;
  const statuses = filter?.statuses ? new Set<string>(filter.statuses) : null;
  return (i) =>
    SEVERITIES.indexOf(i.severity) >= minRank &&
    (categories === null || i.categories.some((c) => categories.has(c))) &&
    (statuses === null || statuses.has(i.status));
}
