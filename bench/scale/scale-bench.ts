/**
 * `npm run bench:scale` (issue 15 item 7): a simulated fleet of 1k, 10k and 100k registered agents through replay and
 * through `agentwatch up` (HTTP ingest, embedded ClickHouse), each in a fresh process:
 *   - replay (replay-state-child.ts): peak and steady RSS, events/s, heap per registered agent for the compiled
 *     registry and per agent seen for the engine's state (heap after a full GC before/after, divided by agents), the
 *     engine's own state counts and its snapshot bytes per agent;
 *   - up: the fleet's events POSTed to /v1/events (5,000 lines a body, as a client would), peak RSS (VmHWM) and RSS
 *     once idle (VmRSS), events/s over the POSTs (each returns once its events went through the store and the engine).
 * Fleets: one simulated day (yesterday, UTC) at BENCH_SCALE_EVENTS_PER_AGENT_DAY (default 5) events per registered
 * agent, seed 42, cached in .bench/. Target: RSS < 1.5 GB at 100k agents. Prints one JSON object; exits 0 whatever the numbers.
 * Env: BENCH_SCALE_AGENTS (comma list, default 1000,10000,100000), BENCH_SCALE_EVENTS_PER_AGENT_DAY,
 *      BENCH_SCALE_SKIP_UP=1 (replay only).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { simulateFleet } from '@agentwatch/simulator';
import { recentStart } from '../../test/support/recent-start.ts';
import { killAll, postEvents, spawnLocalUp } from '../../test/support/up-process.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const SIZES = (process.env['BENCH_SCALE_AGENTS'] ?? '1000,10000,100000').split(',').map(Number);
const EPAD = Number(process.env['BENCH_SCALE_EVENTS_PER_AGENT_DAY'] ?? 5);
const SKIP_UP = process.env['BENCH_SCALE_SKIP_UP'] === '1';
const SEED = 42;
const TARGET_RSS_MB = 1536;
const TOKEN = 'aw_bench_scale_token_0123456789abcdef';
const say = (msg: string) => process.stderr.write(`bench:scale: ${msg}\n`);

/** Yesterday (UTC): `up` judges event times against their arrival, and a fleet older than max_event_age is not believed. */
const START = recentStart(1);

async function fleet(agents: number): Promise<string> {
  const dir = join(ROOT, '.bench', `scale-a${agents}-e${EPAD}-s${SEED}-${START.slice(0, 10)}`);
  if (!existsSync(join(dir, 'summary.json'))) {
    mkdirSync(dir, { recursive: true });
    say(`generating ${agents} agents x 1 day (${EPAD} events per agent) into ${dir}`);
    await simulateFleet({ agents, days: 1, seed: SEED, eventsPerAgentDay: EPAD, start: START, outDir: dir });
  }
  return dir;
}

function replayRun(dir: string): Record<string, unknown> {
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', join(import.meta.dirname, 'replay-state-child.ts'), join(dir, 'registry.yaml'), join(dir, 'events.ndjson')],
    { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  return JSON.parse(out.trim().split('\n').pop() as string) as Record<string, unknown>;
}

/** VmRSS and VmHWM (peak) of a process, in MB (Linux /proc). */
function rssOf(pid: number): { rss_mb: number; peak_rss_mb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rss_mb: Math.round(kb('VmRSS') / 1024), peak_rss_mb: Math.round(kb('VmHWM') / 1024) };
}

async function upRun(dir: string): Promise<Record<string, unknown>> {
  rmSync(join(dir, 'data'), { recursive: true, force: true });
  const up = spawnLocalUp(dir, TOKEN);
  let peak = 0;
  // Sampled every second: the RSS reached while the events go in, and what up said before any failure.
  const sampler = setInterval(() => {
    try {
      peak = Math.max(peak, rssOf(up.proc.pid as number).peak_rss_mb);
    } catch {
      // exited
    }
  }, 1000);
  try {
    const base = await up.base;
    const pid = up.proc.pid as number;
    // Ready: registry loaded, store migrated.
    for (let i = 0; i < 600 && (await fetch(`${base}/readyz`).catch(() => null))?.status !== 200; i++) await new Promise((r) => setTimeout(r, 500));
    const idle = rssOf(pid);
    const lines = readFileSync(join(dir, 'events.ndjson'), 'utf8').split('\n').filter(Boolean);
    const t0 = performance.now();
    await postEvents(base, { Authorization: `Bearer ${TOKEN}` }, lines, 5000);
    const seconds = (performance.now() - t0) / 1000;
    const loaded = rssOf(pid);
    await new Promise((r) => setTimeout(r, 5000));
    const steady = rssOf(pid);
    const metricsText = await (await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } })).text();
    const gauge = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metricsText)?.[1] ?? Number.NaN);
    return {
      engine_agents: gauge('agentwatch_engine_agents'),
      alerts_emitted: gauge('agentwatch_alerts_emitted_total'),
      heap_used_mb: Math.round(gauge('nodejs_heap_size_used_bytes') / 2 ** 20),
      events: lines.length,
      seconds: Number(seconds.toFixed(2)),
      events_per_s: Math.round(lines.length / seconds),
      rss_before_events_mb: idle.rss_mb,
      rss_after_events_mb: loaded.rss_mb,
      steady_rss_mb: steady.rss_mb,
      peak_rss_mb: steady.peak_rss_mb,
    };
  } catch (e) {
    throw new Error(`${e instanceof Error ? e.message : String(e)} (peak RSS so far ${peak} MB; up stderr: ${up.stderr().slice(-500)})`, { cause: e });
  } finally {
    clearInterval(sampler);
    await killAll([up]);
    rmSync(join(dir, 'data'), { recursive: true, force: true });
  }
}

const results: Array<Record<string, unknown>> = [];
for (const agents of SIZES) {
  const dir = await fleet(agents);
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { events: number };
  say(`${agents} agents, ${summary.events} events: replay`);
  const replay = replayRun(dir);
  say(`${agents} agents: replay ${JSON.stringify(replay)}`);
  let up: Record<string, unknown> | null = null;
  if (!SKIP_UP) {
    say(`${agents} agents: up (HTTP)`);
    // A failed run is a result too (printed with its error), not the end of the benchmark.
    up = await upRun(dir).catch((e: unknown) => ({ error: e instanceof Error ? `${e.message}${e.cause ? `: ${String(e.cause)}` : ''}` : String(e) }));
    say(`${agents} agents: up ${JSON.stringify(up)}`);
  }
  results.push({ agents, events: summary.events, replay, up });
}
process.stdout.write(
  `${JSON.stringify(
    {
      bench: 'scale',
      target: { rss_mb_below: TARGET_RSS_MB, at_agents: 100_000 },
      events_per_agent_day: EPAD,
      seed: SEED,
      results,
      notes: {
        engine_heap_bytes_per_agent: 'heap after a full GC with the engine alive minus heap before it, divided by agents seen',
        registry_heap_bytes_per_registered_agent: 'heap of the compiled registry (parsed YAML, entries, compiled allow-lists) per registered agent',
        up: 'agentwatch up in-process HTTP mode with the embedded ClickHouse (chdb) store: its RSS includes the store',
      },
    },
    null,
    2,
  )}\n`,
);
