import { Gauge } from 'prom-client';
import type { ApiMetrics } from './metrics.ts';

/** What the gauges read of each detection engine of the process (DetectionEngine.getStats()). */
export interface EngineGaugeSource {
  getStats(): { agents: number; saturation: object };
}

/**
 * `agentwatch_engine_agents` and `agentwatch_engine_saturation{kind}`: agents held by this process's engines, and how
 * often a per-agent cap was hit (flood bounds, docs/architecture.md), summed over the engines at each scrape. Gauges,
 * not counters: the counts travel with partitions between collectors (they are part of each engine's checkpoint).
 */
export function registerEngineGauges(metrics: ApiMetrics, engines: () => readonly EngineGaugeSource[]): void {
  const registers = [metrics.registry];
  new Gauge({
    name: 'agentwatch_engine_agents',
    help: 'Agents whose detection state this process holds',
    registers,
    collect() {
      this.set(engines().reduce((n, e) => n + e.getStats().agents, 0));
    },
  });
  new Gauge({
    name: 'agentwatch_engine_saturation',
    help: 'Times a per-agent state cap was hit (dedupForgotten, heldRefused, tokensRefused, alertsFolded, firstSeenSkipped): a flooding agent',
    labelNames: ['kind'],
    registers,
    collect() {
      const sums: Record<string, number> = {};
      for (const e of engines()) for (const [k, v] of Object.entries(e.getStats().saturation)) if (typeof v === 'number') sums[k] = (sums[k] ?? 0) + v;
      this.reset();
      for (const [kind, v] of Object.entries(sums)) this.set({ kind }, v);
    },
  });
}
