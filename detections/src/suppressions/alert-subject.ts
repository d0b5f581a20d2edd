import type { Alert } from '@agentwatch/schemas';

/**
 * What an alert is about, for suppressions that match a `tool` or a `resource` (alerts.md "Suppressions").
 *
 * An alert's tool is its `evidence.tool` and its resource its `evidence.resource`, when that is a non-empty string:
 * the value the rule reported and the analyst sees, fixed by the alert's first finding (later findings folded into
 * the alert add events, not a different subject), so the answer never changes between emissions of one alert and
 * needs no event look-up. An alert whose evidence names no tool (or no resource) never matches a suppression that
 * gives `tool` (or `resource`): a suppression about `erp.*` must not hide a token or volume alert that merely had an
 * `erp.*` call among its events.
 *
 * Built-in rules whose alerts carry a tool (checked against every rule's fixtures by
 * detections/test/suppressions.test.ts): behavior.first_seen_tool, runtime.high_consequence_without_approval,
 * runtime.untrusted_context_high_consequence, scope.action_outside_registry, scope.resource_outside_registry,
 * scope.tool_outside_registry. A resource: behavior.first_seen_resource, scope.resource_outside_registry, and, when
 * the call named one, runtime.high_consequence_without_approval, scope.action_outside_registry and
 * scope.tool_outside_registry. Sigma rules: when their evidence has `tool` / `resource`.
 */
export function alertTool(alert: Alert): string | undefined {
  return nonEmpty(alert.evidence['tool']);
}

/** The resource an alert is about ({@link alertTool} for the definition). */
export function alertResource(alert: Alert): string | undefined {
  return nonEmpty(alert.evidence['resource']);
}

const nonEmpty = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
