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
  /** Arrival of each event (same index), where known: its time is then judged against it. */
  arrivalsMs?: ReadonlyArray<number | undefined>;
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
  // Events whose time is not believed take their place by arrival (they move no clock, but must come in some order).
  const sorted = opts.events
    .map((event, i) => {
      const timeMs = Date.parse(event.time);
      const arrivalMs = opts.arrivalsMs?.[i];
      const t = engine.judge(timeMs, arrivalMs) === 'plausible' ? timeMs : (arrivalMs as number);
      return { event, i, t, timeMs, arrivalMs };
    })
    .sort((a, b) => a.t - b.t || a.i - b.i);
  const alerts: Alert[] = [];
  for (const { event, timeMs, arrivalMs } of sorted) {
    engine.process(event, timeMs, arrivalMs);
    alerts.push(...engine.takeClosed());
  }
  alerts.push(...engine.flush());
  return alerts;
}
