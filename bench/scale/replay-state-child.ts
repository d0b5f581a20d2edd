/**
 * One replay of a simulated fleet through the detection engine, measuring what the engine keeps per agent. Run with
 * `--expose-gc` in a fresh process (so peak RSS is its own); prints one JSON line.
 *
 *   replay-state-child.ts <registry.yaml> <events.ndjson>
 *
 * Heap is read after a full GC at three points: before the registry, after it (registry indexes per registered
 * agent), and after every event went through the engine with the engine still alive (engine state per agent seen).
 * The same pipeline as `agentwatch replay` (runPipeline over the canonical file, replay arrival judging), alerts
 * counted and dropped.
 */
import { DetectionEngine, runPipeline, withReplayArrival } from '@agentwatch/detections';
import { durationToMs } from '@agentwatch/schemas';
import { loadRules, readRegistryFile } from '../../services/cli/src/load.ts';
import { canonicalFileSource } from '../../services/cli/src/sources/event-file-source.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const heap = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

const [registryFile, eventsFile] = process.argv.slice(2) as [string, string];
const heapStart = heap();
const tRegistry = performance.now();
const registry = readRegistryFile(registryFile);
const registrySeconds = (performance.now() - tRegistry) / 1000;
const rules = await loadRules(undefined);
const heapRegistry = heap();
const registered = registry.agentCount;

const engine = new DetectionEngine({ registry, rules });
let alerts = 0;
const t0 = performance.now();
const result = await runPipeline({
  source: withReplayArrival(canonicalFileSource(eventsFile), engine.limits),
  engine,
  latenessMs: durationToMs(engine.config.allowed_lateness),
  sink: {
    alerts: (a) => {
      alerts += a.length;
    },
    rejected: () => {},
  },
});
const seconds = (performance.now() - t0) / 1000;
const peakRssMb = process.resourceUsage().maxRSS / 1024;
const heapEngine = heap();
const steadyRssMb = process.memoryUsage().rss / 2 ** 20;
const counts = engine.stateCounts();
const snapshotBytes = JSON.stringify(engine.snapshot()).length;

process.stdout.write(
  `${JSON.stringify({
    registered_agents: registered,
    agents_seen: counts.agents,
    events: result.accepted,
    rejected: result.rejected,
    alerts,
    registry_seconds: Number(registrySeconds.toFixed(2)),
    seconds: Number(seconds.toFixed(2)),
    events_per_s: Math.round(result.read / seconds),
    peak_rss_mb: Math.round(peakRssMb),
    steady_rss_mb: Math.round(steadyRssMb),
    registry_heap_bytes_per_registered_agent: Math.round((heapRegistry - heapStart) / registered),
    engine_heap_bytes_per_agent: Math.round((heapEngine - heapRegistry) / Math.max(1, counts.agents)),
    engine_snapshot_bytes_per_agent: Math.round(snapshotBytes / Math.max(1, counts.agents)),
    engine_state_counts: counts,
    saturation: engine.getStats().saturation,
  })}\n`,
);
