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
  const result = await simulateFleet({
    agents: opts.agents,
    days: opts.days,
    seed: opts.seed,
    outDir: opts.out,
    ...(opts.start ? { start: opts.start } : {}),
    ...(opts.scale ? { eventsPerAgentDay: opts.scale } : {}),
  });
  const s = result.summary;
  log(
    `simulate: wrote ${opts.out}: ${s.agents.registered} registered agents, ${s.events} events, ${s.attacks} injected attacks (${Object.entries(
      s.attacks_by_category,
    )
      .map(([c, n]) => `${c} ${n}`)
      .join(', ')}); labels in labels.ndjson`,
  );
}
