/**
 * `npm run bench:pipeline`: the live pipeline (Kafka -> KafkaCollector -> LivePipeline -> store + engine -> alerts)
 * against a real Apache Kafka broker (test/support/kafka.ts: KAFKA_BROKERS, else Testcontainers, else
 * infra/kafka/kafka-local.sh) and a real embedded ClickHouse (chdb) store, next to two floors measured in the same run:
 *   A. raw consume rate of the same pre-produced topic (plain kafkajs consumer, eachBatch, no processing);
 *   B. raw ClickHouse insert rate (measureRawInsert: plain MergeTree, 100k-row JSONEachRow inserts) in the same chdb
 *      data dir the pipeline uses.
 * Then:
 *   1. sustained: a fresh collector group consumes the whole pre-produced topic from the start; events/s until every
 *      message is committed (collector.stats().messages), timed from the first batch (and, separately, from start()).
 *   2. latency: a producer offers a steady rate (default 5,000 events/s for 20 s) into a fresh topic while a fresh
 *      collector runs. Per event: wall time from handing it to producer.send() to the end of the LivePipeline.ingest()
 *      call of its batch (run through the engine, alerts upserted and handed to onAlerts; the event itself is stored before
 *      any alert citing it and at the next checkpoint, as in `up`) -- "event-to-processed".
 *      Also, for events cited by an alert (alert.evidence.event_ids), the wall time from produce to the first onAlerts
 *      delivery citing it -- "event-to-alert". Same process, same monotonic clock (performance.now()).
 * Prints one JSON object; exits 0 whatever the numbers (timing is never a pass/fail test).
 *
 * Env: BENCH_PIPELINE_AGENTS (100), BENCH_PIPELINE_DAYS (8), BENCH_PIPELINE_PARTITIONS (6), BENCH_PIPELINE_RATE (5000),
 *      BENCH_PIPELINE_SECONDS (20), BENCH_PIPELINE_INSERT_N (events in floor B; default = fleet size), BENCH_DEBUG_LOG
 *      (a file: the collectors log at debug level there, e.g. per-batch timings).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_RULES, DetectionEngine, parseRegistry, type SourceItem } from '@agentwatch/detections';
import type { Alert, CanonicalEvent } from '@agentwatch/schemas';
import { simulateFleet } from '@agentwatch/simulator';
import { createStore, type Store } from '@agentwatch/store';
import { Kafka, type logCreator, logLevel, Partitioners, type Producer } from 'kafkajs';
import { pino } from 'pino';
import { KafkaCollector } from '../../services/collector/src/kafka-collector.ts';
import { LivePipeline } from '../../services/collector/src/live-pipeline.ts';
import { measureRawInsert } from '../../services/store/src/bench-insert.ts';
import { acquireKafka, type KafkaHandle } from '../../test/support/kafka.ts';

process.env['KAFKAJS_NO_PARTITIONER_WARNING'] ??= '1';
const AGENTS = Number(process.env['BENCH_PIPELINE_AGENTS'] ?? 100);
const DAYS = Number(process.env['BENCH_PIPELINE_DAYS'] ?? 8);
const PARTITIONS = Number(process.env['BENCH_PIPELINE_PARTITIONS'] ?? 6);
const RATE = Number(process.env['BENCH_PIPELINE_RATE'] ?? 5000);
const SECONDS = Number(process.env['BENCH_PIPELINE_SECONDS'] ?? 20);
const SEED = 42;
const TARGET_SUSTAINED = 50_000;
const TARGET_P99_MS = 1000;

const say = (msg: string) => process.stderr.write(`bench:pipeline: ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number, d = 0) => Number(x.toFixed(d));

async function waitFor(what: string, cond: () => boolean, timeoutMs: number, error?: () => Error | null): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    const e = error?.();
    if (e) throw e;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}
function summary(samples: number[]) {
  const s = Float64Array.from(samples).sort();
  const arr = Array.from(s);
  return {
    samples: arr.length,
    p50_ms: arr.length ? round(percentile(arr, 50) as number, 1) : null,
    p90_ms: arr.length ? round(percentile(arr, 90) as number, 1) : null,
    p99_ms: arr.length ? round(percentile(arr, 99) as number, 1) : null,
    max_ms: arr.length ? round(arr[arr.length - 1] as number, 1) : null,
  };
}

/** CPU used so far: the whole process (every thread: JavaScript, GC helpers, chdb) and, on Linux, its main thread. */
interface CpuSample {
  processUs: number;
  mainThreadUs: number | null;
}
function cpuSample(): CpuSample {
  const u = process.cpuUsage();
  let mainThreadUs: number | null = null;
  try {
    // /proc/self/task/<pid>/stat: utime and stime (fields 14 and 15) in clock ticks of 10 ms.
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    mainThreadUs = (Number(fields[11]) + Number(fields[12])) * 10_000;
    if (!Number.isFinite(mainThreadUs)) mainThreadUs = null;
  } catch {
    mainThreadUs = null;
  }
  return { processUs: u.user + u.system, mainThreadUs };
}
function cpuPerEvent(a: CpuSample | null, b: CpuSample | null, events: number) {
  if (!a || !b || events === 0) return null;
  return {
    whole_process: round((b.processUs - a.processUs) / events, 1),
    main_thread: a.mainThreadUs === null || b.mainThreadUs === null ? null : round((b.mainThreadUs - a.mainThreadUs) / events, 1),
  };
}

// BENCH_HEAP_PROFILE=file: sampled allocations of the sustained phase (collected objects included), for DevTools.
const heapProfileFile = process.env['BENCH_HEAP_PROFILE'];
const inspector = heapProfileFile ? new Session() : null;
const post = (method: string, params?: object) =>
  new Promise<unknown>((resolve, reject) => inspector?.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res))));
async function startHeapProfile(): Promise<void> {
  if (!inspector) return;
  inspector.connect();
  await post('HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
}
async function stopHeapProfile(): Promise<void> {
  if (!inspector || !heapProfileFile) return;
  const { profile } = (await post('HeapProfiler.stopSampling')) as { profile: unknown };
  writeFileSync(heapProfileFile, JSON.stringify(profile));
  inspector.disconnect();
}

// kafkajs logs: group-join/leader-election retries are expected noise; anything else goes to stderr.
const RETRIED = /coordinator|leader|rebalanc|does not host this topic-partition|not the correct/i;
const quietLogs: logCreator = () => (entry) => {
  if (!RETRIED.test(String(entry.log['error'] ?? '')) && !RETRIED.test(entry.log.message)) process.stderr.write(`[kafkajs] ${entry.log.message}\n`);
};

let handle: KafkaHandle | null = null;
const cleanups: Array<() => Promise<unknown>> = [];
const dataDir = mkdtempSync(join(tmpdir(), 'aw-bench-pipeline-chdb-'));
const fleetDir = mkdtempSync(join(tmpdir(), 'aw-bench-pipeline-fleet-'));
let exitCode = 0;

try {
  // --- fleet ------------------------------------------------------------------------------------------------------
  say(`generating ${AGENTS} agents x ${DAYS} days`);
  // Ending today: messages are produced now, and event times a month older than their arrival would not be believed.
  await simulateFleet({
    agents: AGENTS,
    days: DAYS,
    seed: SEED,
    outDir: fleetDir,
    start: new Date(Math.floor(Date.now() / 86_400_000 - DAYS) * 86_400_000).toISOString(),
  });
  const registryText = readFileSync(join(fleetDir, 'registry.yaml'), 'utf8');
  const reg = parseRegistry(registryText, 'registry.yaml');
  if (!reg.ok) throw new Error('simulated registry refused');
  // The fleet stays the file's bytes plus line offsets, off the JavaScript heap: as 213k strings (and their agent and
  // event ids) it was ~150 MB of live heap that every major GC of the measured process marked, and `agentwatch up`
  // holds nothing like it. Values are produced as views of the file (no copies).
  const fleetBytes = readFileSync(join(fleetDir, 'events.ndjson'));
  const lineStarts: number[] = [];
  const lineEnds: number[] = [];
  for (let at = 0; at < fleetBytes.length; ) {
    let end = fleetBytes.indexOf(10, at);
    if (end < 0) end = fleetBytes.length;
    if (end > at) {
      lineStarts.push(at);
      lineEnds.push(end);
    }
    at = end + 1;
  }
  const total = lineStarts.length;
  const lineBytes = (j: number): Buffer => fleetBytes.subarray(lineStarts[j] as number, lineEnds[j] as number);
  const eventOf = (j: number): CanonicalEvent => JSON.parse(lineBytes(j).toString('utf8')) as CanonicalEvent;
  const agentNames: string[] = [];
  const agentIndex = new Map<string, number>();
  const agentIdx = new Uint32Array(total);
  for (let j = 0; j < total; j++) {
    const agent = eventOf(j).agent_id;
    let k = agentIndex.get(agent);
    if (k === undefined) {
      k = agentNames.push(agent) - 1;
      agentIndex.set(agent, k);
    }
    agentIdx[j] = k;
  }
  const agentOf = (j: number): string => agentNames[agentIdx[j] as number] as string;
  const message = (j: number): { key: string; value: Buffer } => ({ key: agentOf(j), value: lineBytes(j) });
  const fileMb = fleetBytes.length / 1048576;
  say(`${total} events (${fileMb.toFixed(0)} MB of JSON)`);

  // --- broker + topics --------------------------------------------------------------------------------------------
  const t0 = performance.now();
  handle = await acquireKafka();
  const acquireMs = performance.now() - t0;
  say(`broker ${handle.brokers.join(',')} via ${handle.how} in ${Math.round(acquireMs)} ms`);
  const run = randomBytes(4).toString('hex');
  const kafka = new Kafka({ clientId: `aw-bench-${run}`, brokers: handle.brokers, logLevel: logLevel.WARN, logCreator: quietLogs, retry: { retries: 8 } });
  const admin = kafka.admin();
  await admin.connect();
  cleanups.push(() => admin.disconnect());
  const topic = `aw-bench-events-${run}`;
  const steadyTopic = `aw-bench-steady-${run}`;
  const alertsTopic = `aw-bench-alerts-${run}`;
  const dlqTopic = `aw-bench-dlq-${run}`;
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic, numPartitions: PARTITIONS, replicationFactor: 1 },
      { topic: steadyTopic, numPartitions: PARTITIONS, replicationFactor: 1 },
      { topic: alertsTopic, numPartitions: 1, replicationFactor: 1 },
      { topic: dlqTopic, numPartitions: 1, replicationFactor: 1 },
    ],
  });
  const producer: Producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  cleanups.push(() => producer.disconnect());

  // --- produce the whole fleet, keyed by agent_id -----------------------------------------------------------------
  say(`producing ${total} events into ${topic} (${PARTITIONS} partitions)`);
  const tp = performance.now();
  const CHUNK = 2000;
  const inflight: Promise<unknown>[] = [];
  for (let i = 0; i < total; i += CHUNK) {
    const messages = [];
    for (let j = i; j < Math.min(total, i + CHUNK); j++) messages.push(message(j));
    inflight.push(producer.send({ topic, acks: -1, messages }));
    if (inflight.length >= 8) await inflight.shift();
  }
  await Promise.all(inflight);
  const produceMs = performance.now() - tp;
  const ends = await admin.fetchTopicOffsets(topic);
  const onTopic = ends.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  if (onTopic !== total) throw new Error(`topic holds ${onTopic} messages, expected ${total}`);

  // --- floor A: raw consume ---------------------------------------------------------------------------------------
  say('floor A: raw consume');
  const rawConsume = await (async () => {
    const c = kafka.consumer({ groupId: `aw-bench-raw-${run}` });
    await c.connect();
    await c.subscribe({ topics: [topic], fromBeginning: true });
    let got = 0;
    let first = 0;
    let last = 0;
    const started = performance.now();
    await c.run({
      eachBatch: async ({ batch }) => {
        if (first === 0) first = performance.now();
        got += batch.messages.length;
        last = performance.now();
      },
    });
    try {
      await waitFor('raw consumer', () => got >= total, 300_000);
    } finally {
      await c.disconnect();
    }
    return {
      messages: got,
      events_per_s: Math.round(got / ((last - first) / 1000)),
      seconds_from_first_batch: round((last - first) / 1000, 2),
      events_per_s_incl_group_join: Math.round(got / ((last - started) / 1000)),
      seconds_incl_group_join: round((last - started) / 1000, 2),
    };
  })();
  say(`floor A: ${rawConsume.events_per_s} msg/s`);

  // --- floor B: raw ClickHouse insert (same chdb data dir as the pipeline) ----------------------------------------
  say('floor B: raw ClickHouse insert');
  const insertN = Number(process.env['BENCH_PIPELINE_INSERT_N'] ?? total);
  const floorStore = createStore({ dataDir, database: `aw_bench_floor_${run}` });
  await floorStore.migrate();
  const rawInsert = await measureRawInsert(floorStore, insertN);
  await floorStore.client.command({ query: `DROP TABLE IF EXISTS ${floorStore.database}.bench_raw_events` });
  await floorStore.close();
  say(`floor B: ${rawInsert.eventsPerSec} events/s`);

  const logger = process.env['BENCH_DEBUG_LOG'] ? pino({ level: 'debug' }, pino.destination(process.env['BENCH_DEBUG_LOG'])) : pino({ level: 'error' });
  const newStore = async (name: string): Promise<Store> => {
    const s = createStore({ dataDir, database: `aw_bench_${name}_${run}` });
    await s.migrate();
    cleanups.push(() => s.close());
    return s;
  };

  // --- 1. sustained throughput ------------------------------------------------------------------------------------
  say('sustained: collector over the whole topic');
  const sustained = await (async () => {
    const store = await newStore('sustained');
    let first = 0;
    let ingestMs = 0;
    let cpuAtFirst: CpuSample | null = null;
    const collector = new KafkaCollector({
      kafka,
      store,
      newPipeline: (_partition, sharedTokens, writeBehind) => {
        // As `agentwatch up` builds them: written behind the batches (large inserts, before alerts and checkpoints).
        const pipeline = new LivePipeline({
          engine: new DetectionEngine({ registry: reg.registry, rules: BUILTIN_RULES, sharedTokens }),
          store,
          logger,
          writeBehind,
        });
        const orig = pipeline.ingest.bind(pipeline);
        pipeline.ingest = async (items, meta) => {
          const a = performance.now();
          if (first === 0) {
            first = a;
            cpuAtFirst = cpuSample();
          }
          try {
            return await orig(items, meta);
          } finally {
            ingestMs += performance.now() - a;
          }
        };
        return pipeline;
      },
      logger,
      groupId: `aw-bench-collector-${run}`,
      topic,
      alertsTopic,
      dlqTopic,
      checkpointsTopic: `aw-bench-checkpoints-${run}`,
      tokensTopic: `aw-bench-tokens-${run}`,
    });
    const started = performance.now();
    let cpuAtLast: CpuSample | null = null;
    let lastBatchAt = 0;
    await startHeapProfile();
    await collector.start();
    let last = 0;
    try {
      await waitFor(
        'collector over the topic',
        () => collector.stats().messages >= total,
        900_000,
        () => collector.error,
      );
      // Until every event is stored, every alert published and every partition checkpointed and committed.
      lastBatchAt = performance.now();
      await collector.flush();
      last = performance.now();
      cpuAtLast = cpuSample();
      await stopHeapProfile();
    } finally {
      await collector.stop();
    }
    const st = collector.stats();
    const counted = await store.countEvents();
    return {
      messages: st.messages,
      accepted: st.accepted,
      dlq: st.dlq,
      batches: st.batches,
      mean_batch: Math.round(st.messages / Math.max(1, st.batches)),
      // Fetched past a pacing cut (a partition ahead of the slowest in event time), fetched again after the pause.
      messages_deferred: st.deferred,
      alerts_upserted: st.alerts,
      checkpoints: st.checkpoints,
      events_in_store: counted,
      events_per_s: Math.round(st.messages / ((last - first) / 1000)),
      seconds_from_first_batch: round((last - first) / 1000, 2),
      // Of those seconds, the final flush once every message was processed: the last insert, alerts, checkpoints.
      seconds_final_flush: round((last - lastBatchAt) / 1000, 2),
      events_per_s_incl_start: Math.round(st.messages / ((last - started) / 1000)),
      seconds_incl_start: round((last - started) / 1000, 2),
      share_of_batch_time_in_ingest: round(ingestMs / Math.max(1, st.busyMs), 3),
      // This process holds the broker client, the collector and the embedded ClickHouse (chdb): all of it.
      peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
      event_inserts: st.writeBehind.channels['events']?.writes ?? 0,
      largest_event_insert: st.writeBehind.channels['events']?.largest ?? 0,
      token_fact_sends: st.writeBehind.channels['token-facts']?.writes ?? 0,
      cpu_us_per_event: cpuPerEvent(cpuAtFirst, cpuAtLast, st.messages),
    };
  })();
  say(`sustained: ${sustained.events_per_s} events/s`);

  // --- 2. latency at a steady offered load -----------------------------------------------------------------------
  const steadyN = Math.min(total, Math.round(RATE * SECONDS));
  const WARMUP = Math.min(500, Math.floor(steadyN / 10));
  say(`latency: ${RATE} events/s offered for ${SECONDS} s (${steadyN} events) into ${steadyTopic}`);
  const latency = await (async () => {
    const store = await newStore('steady');
    const producedAt = new Map<string, number>();
    const batchIds = new Map<string, string[]>();
    const alertSeen = new Set<string>();
    const toAlert: number[] = [];
    const toProcessed: number[] = [];
    const toStored: number[] = [];
    let measuring = false;
    let alertsDelivered = 0;
    const onAlerts = (alerts: Alert[]) => {
      const now = performance.now();
      alertsDelivered += alerts.length;
      for (const a of alerts) {
        for (const id of a.evidence.event_ids) {
          if (alertSeen.has(id)) continue;
          alertSeen.add(id);
          const t = producedAt.get(id);
          if (t !== undefined && measuring) toAlert.push(now - t);
        }
      }
    };
    // Events are written behind the engine: the time to the end of the insert that stored each one.
    const timedStore: Store = {
      ...store,
      insertEventRows: async (chunks, token) => {
        const r = await store.insertEventRows(chunks, token);
        const now = performance.now();
        // Chunks are keyed by their batch's dedup token (topic:partition:first-last): its events, noted at ingest.
        if (measuring) {
          for (const c of chunks) {
            for (const id of batchIds.get(c.key) ?? []) {
              const t = producedAt.get(id);
              if (t !== undefined) toStored.push(now - t);
            }
            batchIds.delete(c.key);
          }
        }
        return r;
      },
    };
    const collector = new KafkaCollector({
      kafka,
      store: timedStore,
      onAlerts,
      newPipeline: (_partition, sharedTokens, writeBehind) => {
        const pipeline = new LivePipeline({
          engine: new DetectionEngine({ registry: reg.registry, rules: BUILTIN_RULES, sharedTokens }),
          store: timedStore,
          logger,
          writeBehind,
        });
        const orig = pipeline.ingest.bind(pipeline);
        pipeline.ingest = async (items: readonly SourceItem[], meta) => {
          if (measuring)
            batchIds.set(
              meta.dedupToken,
              items.flatMap((it) => ('event' in it ? [it.event.event_id] : [])),
            );
          const r = await orig(items, meta);
          const now = performance.now();
          if (measuring) {
            for (const it of items) {
              if (!('event' in it)) continue;
              const t = producedAt.get(it.event.event_id);
              if (t !== undefined) toProcessed.push(now - t);
            }
          }
          return r;
        };
        return pipeline;
      },
      logger,
      groupId: `aw-bench-steady-${run}`,
      topic: steadyTopic,
      alertsTopic,
      dlqTopic,
      checkpointsTopic: `aw-bench-checkpoints-${run}`,
      tokensTopic: `aw-bench-tokens-${run}`,
    });
    await collector.start();
    try {
      // Warm-up (group join, first fetches): not measured.
      const warm = [];
      for (let j = 0; j < WARMUP; j++) warm.push(message(j));
      await producer.send({ topic: steadyTopic, acks: -1, messages: warm });
      await waitFor(
        'warm-up consumed',
        () => collector.stats().messages >= WARMUP,
        120_000,
        () => collector.error,
      );
      measuring = true;

      // Steady offered load: every tick, send what is due so far (rate x elapsed), without waiting for earlier sends.
      const pending = new Set<Promise<unknown>>();
      let sent = WARMUP;
      const begin = performance.now();
      let maxInflight = 0;
      while (sent < steadyN) {
        const due = Math.min(steadyN, WARMUP + Math.floor(((performance.now() - begin) / 1000) * RATE));
        if (due > sent) {
          const now = performance.now();
          const messages = [];
          for (let j = sent; j < due; j++) {
            producedAt.set(eventOf(j).event_id, now);
            messages.push(message(j));
          }
          sent = due;
          const p = producer.send({ topic: steadyTopic, acks: -1, messages });
          pending.add(p);
          maxInflight = Math.max(maxInflight, pending.size);
          void p.finally(() => pending.delete(p));
        }
        await sleep(5);
      }
      const offeredSeconds = (performance.now() - begin) / 1000;
      await Promise.all(pending);
      await waitFor(
        'steady topic consumed',
        () => collector.stats().messages >= steadyN,
        300_000,
        () => collector.error,
      );
      const drainedSeconds = (performance.now() - begin) / 1000;
      const st = collector.stats();
      return {
        offered_events_per_s: RATE,
        achieved_offered_events_per_s: Math.round((steadyN - WARMUP) / offeredSeconds),
        seconds: round(offeredSeconds, 2),
        measured_events: steadyN - WARMUP,
        warmup_events_not_measured: WARMUP,
        seconds_until_all_processed: round(drainedSeconds, 2),
        batches: st.batches,
        mean_batch: Math.round(st.messages / Math.max(1, st.batches)),
        max_producer_sends_in_flight: maxInflight,
        alerts_delivered: alertsDelivered,
        event_to_processed: summary(toProcessed),
        event_to_stored: summary(toStored),
        event_to_alert: summary(toAlert),
      };
    } finally {
      await collector.stop();
    }
  })();
  say(`latency: p50 ${latency.event_to_processed.p50_ms} ms, p99 ${latency.event_to_processed.p99_ms} ms (event-to-processed)`);

  const p99 = latency.event_to_processed.p99_ms;
  const result = {
    bench: 'pipeline',
    what: {
      sustained:
        'A fresh KafkaCollector group (as `agentwatch up` runs it: checkpoints every 5 s per partition, writes behind the engine) + LivePipeline (BUILTIN_RULES, registry of the simulated fleet, embedded chdb store) over the whole pre-produced topic; events/s from its first batch until every event is stored, every alert published and every partition checkpointed and committed (collector.flush()); events_per_s_incl_start adds start() and the group join.',
      latency_event_to_processed:
        'Per event: wall time from handing it to producer.send() (steady offered load, acks=-1) to the end of the LivePipeline.ingest() call of its batch (run through the engine; its writes queued behind).',
      latency_event_to_stored:
        'Per event: wall time from producer.send() to the end of the ClickHouse insert that stored it (written behind, group-committed).',
      latency_event_to_alert:
        "For events cited by an alert (evidence.event_ids, first citation only): wall time from producer.send() to the collector's onAlerts call delivering that alert (after it was upserted and published to the alerts topic). Alerts cite only some events, so fewer samples.",
      sustained_cpu_us_per_event:
        'CPU time per event over the same span as events_per_s: whole_process is every thread of this process (JavaScript, GC helpers, chdb inserts; not the broker), main_thread the one JavaScript thread (Linux /proc, 10 ms ticks). Steadier than events/s across runs on a shared machine, so the figure to compare changes by.',
      floor_raw_consume: 'Plain kafkajs consumer (fresh group, eachBatch, no processing) over the same topic; messages/s from its first batch.',
      floor_raw_insert:
        "measureRawInsert: synthetic events into a plain MergeTree table (no dedup, no views), 100k rows per JSONEachRow INSERT, same chdb data dir. Column rows built in Node: the path the store used before migrations 009/010 (the store now inserts the events' JSON text as JSONAsString, flattened by ClickHouse, which is faster); kept so runs stay comparable across sessions.",
    },
    fleet: { agents: AGENTS, days: DAYS, seed: SEED, events: total, json_mb: round(fileMb, 1) },
    kafka: { how: handle.how, partitions: PARTITIONS, acquire_ms: Math.round(acquireMs), produce_events_per_s: Math.round(total / (produceMs / 1000)) },
    floor_raw_consume: rawConsume,
    floor_raw_insert: { engine: 'chdb', events: rawInsert.n, ms: rawInsert.ms, events_per_s: rawInsert.eventsPerSec },
    sustained,
    sustained_vs_raw_consume: round(sustained.events_per_s / rawConsume.events_per_s, 3),
    sustained_vs_raw_insert: round(sustained.events_per_s / rawInsert.eventsPerSec, 3),
    target_sustained_events_per_s: TARGET_SUSTAINED,
    meets_sustained_target: sustained.events_per_s >= TARGET_SUSTAINED,
    latency,
    target_p99_ms_at_5000_per_s: TARGET_P99_MS,
    meets_latency_target: RATE >= 5000 && p99 !== null && p99 < TARGET_P99_MS,
    machine: {
      cpus: cpus().length,
      cpu_model: cpus()[0]?.model ?? null,
      total_mem_gb: round(totalmem() / 2 ** 30, 1),
      node: process.version,
      platform: process.platform,
    },
    note: 'Broker, collector and ClickHouse share this machine; numbers are never a pass/fail test.',
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} catch (err) {
  process.stderr.write(`bench:pipeline failed: ${(err as Error).stack ?? String(err)}\n`);
  process.stdout.write(`${JSON.stringify({ bench: 'pipeline', error: String((err as Error).message ?? err) })}\n`);
  exitCode = 1;
} finally {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  if (handle) await handle.stop().catch((e: unknown) => say(`broker stop failed: ${String(e)}`));
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(fleetDir, { recursive: true, force: true });
}
process.exit(exitCode);
