import type { Alert, CanonicalEvent, DetectionConfig } from '@agentwatch/schemas';
import type { CompiledRegistry } from '../registry/compiled-registry.ts';
import { DetectionEngine } from './engine.ts';
import type { Rule } from './types.ts';

/**
 * Runs rules over an in-memory list of events (sorted by time, stable) and returns every alert. For
 * tests and fixtures; files and streams go through `runPipeline`.
 */
export function runEvents(opts: {
  rules: readonly Rule[];
  registry: CompiledRegistry;
  events: readonly CanonicalEvent[];
  config?: Partial<DetectionConfig>;
}): Alert[] {
  const engine = new DetectionEngine({
    registry: opts.registry,
    rules: opts.rules,
    ...(opts.config ? { config: opts.config } : {}),
    onRuleError: (ruleId, error) => {
      throw new Error(`rule ${ruleId} threw: ${error instanceof Error ? error.message : String(error)}`);
    },
  });
  const sorted = opts.events.map((event, i) => ({ event, i, t: Date.parse(event.time) })).sort((a, b) => a.t - b.t || a.i - b.i);
  const alerts: Alert[] = [];
  for (const { event } of sorted) {
    engine.process(event);
    alerts.push(...engine.takeClosed());
  }
  alerts.push(...engine.flush());
  return alerts;
}
