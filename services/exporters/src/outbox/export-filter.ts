import { type Alert, type ExportFilter, SEVERITIES } from '@agentwatch/schemas';

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
