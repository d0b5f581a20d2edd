/**
 * `npm run bench`: replay throughput and peak memory on a generated fleet of at least 1M events, next to
 * the floor measured in the same run (reading + JSON.parse of the same file). Each measurement runs in
 * a fresh process so peak RSS is its own. Memory flatness: the same fleet replayed over half the days
 * must peak at about the same RSS as the full run (state grows with agents and live tokens, not events).
 * Prints one JSON object; exits 0 whatever the numbers (timing is never a pass/fail test).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { simulateFleet } from '@agentwatch/simulator';

const ROOT = join(import.meta.dirname, '..');
const AGENTS = Number(process.env['BENCH_AGENTS'] ?? 300);
const DAYS = Number(process.env['BENCH_DAYS'] ?? 16);
const SEED = 42;
const RUNS = Number(process.env['BENCH_RUNS'] ?? 2);

async function fleet(days: number): Promise<string> {
  const dir = join(ROOT, '.bench', `fleet-a${AGENTS}-d${days}-s${SEED}`);
  if (!existsSync(join(dir, 'events.ndjson'))) {
    mkdirSync(dir, { recursive: true });
    process.stderr.write(`bench: generating ${AGENTS} agents x ${days} days into ${dir}\n`);
    await simulateFleet({ agents: AGENTS, days, seed: SEED, outDir: dir });
  }
  return dir;
}

function child<T>(script: string, args: string[]): T {
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, script), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split('\n').pop() as string) as T;
}

interface Rate {
  events_per_s: number;
  peak_rss_mb: number;
  seconds: number;
}
const best = <T extends Rate>(runs: T[]): T => runs.reduce((a, b) => (b.events_per_s > a.events_per_s ? b : a));

const full = await fleet(DAYS);
const half = await fleet(Math.max(1, Math.floor(DAYS / 2)));
const file = join(full, 'events.ndjson');
const floorRuns: Array<Rate & { lines: number }> = [];
const replayRuns: Array<Rate & { events: number; alerts: number }> = [];
for (let i = 0; i < RUNS; i++) {
  floorRuns.push(child('parse-floor-child.ts', [file]));
  replayRuns.push(child('replay-child.ts', [join(full, 'registry.yaml'), file]));
}
const halfRun = child<Rate & { events: number }>('replay-child.ts', [join(half, 'registry.yaml'), join(half, 'events.ndjson')]);
const floor = best(floorRuns);
const rep = best(replayRuns);
const ratio = rep.events_per_s / floor.events_per_s;
const result = {
  bench: 'replay',
  fleet: { agents: AGENTS, days: DAYS, seed: SEED, events: rep.events, file_mb: Math.round(statSync(file).size / 1048576) },
  floor_read_json_parse: { events_per_s: Math.round(floor.events_per_s), seconds: floor.seconds, peak_rss_mb: Math.round(floor.peak_rss_mb) },
  replay: { events_per_s: Math.round(rep.events_per_s), seconds: rep.seconds, peak_rss_mb: Math.round(rep.peak_rss_mb), alerts: rep.alerts },
  replay_vs_floor: Number(ratio.toFixed(3)),
  target_replay_vs_floor: 0.4,
  meets_target: ratio >= 0.4,
  memory_flatness: {
    half_days_events: halfRun.events,
    half_days_peak_rss_mb: Math.round(halfRun.peak_rss_mb),
    full_days_events: rep.events,
    full_days_peak_rss_mb: Math.round(rep.peak_rss_mb),
    rss_growth_ratio: Number((rep.peak_rss_mb / halfRun.peak_rss_mb).toFixed(3)),
    events_growth_ratio: Number((rep.events / halfRun.events).toFixed(3)),
  },
  runs: RUNS,
  node: process.version,
};
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
