import { simulateFleet } from '@agentwatch/simulator';

export interface SimulateOptions {
  agents: number;
  days: number;
  seed: number;
  out: string;
  start?: string;
  scale?: number;
}

/** `agentwatch simulate`: writes registry.yaml, events.ndjson, labels.ndjson and summary.json to `out`. */
export async function simulate(opts: SimulateOptions, log: (l: string) => void): Promise<void> {
  const summary = await simulateFleet({
    agents: opts.agents,
    days: opts.days,
    seed: opts.seed,
    outDir: opts.out,
    ...(opts.start ? { start: opts.start } : {}),
    ...(opts.scale ? { eventsPerAgentDay: opts.scale } : {}),
  });
  log(`simulate: wrote ${opts.out}: ${JSON.stringify(summary)}`);
}
