import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Alert, severityRank } from '@agentwatch/schemas';
import { CliError } from '../load.ts';
import { replay } from './replay.ts';
import { simulate } from './simulate.ts';

export interface UpOptions {
  demo: boolean;
  data: string;
  registry?: string;
}

const COLOURS: Record<string, string> = { critical: '\x1b[35m', high: '\x1b[31m', medium: '\x1b[33m', low: '\x1b[36m', info: '\x1b[37m' };

/**
 * `agentwatch up`. This version has the detection core only: `--demo` simulates a fleet with injected
 * attacks and replays it through the same engine the live pipeline will use, printing what an analyst
 * would see. The Kafka/HTTP pipeline is the next milestone; without `--demo` this says so and exits 2.
 */
export async function up(opts: UpOptions, log: (l: string) => void): Promise<number> {
  if (!opts.demo) {
    throw new CliError(
      'agentwatch up: the live pipeline (Kafka/HTTP -> ClickHouse) is not built yet; run `agentwatch up --demo` for the replay demo, or `agentwatch replay`',
      2,
    );
  }
  const dir = resolve(opts.data, 'demo');
  mkdirSync(dir, { recursive: true });
  log(`demo: simulating 40 agents over 16 days with injected attacks into ${dir} ...`);
  await simulate({ agents: 40, days: 16, seed: 7, out: dir }, log);
  const alertsFile = join(dir, 'alerts.ndjson');
  await replay({ registry: opts.registry ?? join(dir, 'registry.yaml'), inputFormat: 'canonical', files: [join(dir, 'events.ndjson')], out: alertsFile, log });
  const alerts = readFileSync(alertsFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Alert)
    .filter((a) => severityRank(a.severity) >= severityRank('medium'))
    .sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.first_seen.localeCompare(b.first_seen));
  const tty = process.stdout.isTTY;
  process.stdout.write(`\n${alerts.length} alerts of medium severity or above (all alerts in ${alertsFile}):\n\n`);
  for (const a of alerts) {
    const sev = a.severity.toUpperCase().padEnd(8);
    process.stdout.write(
      `${tty ? `${COLOURS[a.severity] ?? ''}${sev}\x1b[0m` : sev} ${a.first_seen.slice(0, 16).replace('T', ' ')}  [${a.category}] ${a.title}${a.count > 1 ? ` (x${a.count})` : ''}\n`,
    );
  }
  return 0;
}
