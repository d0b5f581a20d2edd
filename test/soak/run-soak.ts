// `npm run soak`: a seeded, randomized fault schedule against real processes on loopback (a Kafka broker of its own,
// `agentwatch up` collectors in one consumer group on a 12-partition topic), with a simulated fleet produced at a modest
// rate meanwhile; then every store and the alerts topic are checked against replay (checker.ts). Prints the counts as
// JSON and `soak: N passed, N failed` (checks), and exits non-zero on any failure.
//
//   npm run soak -- [--seed N] [--cycles N]      cycles = fault steps (default 24); --cycles 100 is the long run
//   npm run soak:ci                               the short schedule CI runs
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Alert, CanonicalEvent } from '@agentwatch/schemas';
import { simulateFleet } from '@agentwatch/simulator';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { replay } from '../../services/cli/src/commands/replay.ts';
import { recentStart } from '../support/recent-start.ts';
import { sameClockAlerts } from '../support/same-clock.ts';
import { ROOT, readNdjson, waitFor } from '../support/up-process.ts';
import { soakBroker } from './broker.ts';
import { type Check, checkSoak, type StoreDump } from './checker.ts';
import { type FaultContext, startFault } from './faults.ts';
import { FleetProducer } from './fleet-producer.ts';
import { SoakMembers } from './members.ts';
import { countByKind, FAULT_KINDS, type FaultKind, soakSchedule } from './schedule.ts';
import { readTopic } from './topic-read.ts';

const PARTITIONS = 12;
const TOKEN = 'aw_soak_bootstrap_token_0123456789abcdef';
const DAYS = 6;

const { values } = parseArgs({ options: { seed: { type: 'string' }, cycles: { type: 'string' }, keep: { type: 'boolean' } } });
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
const cycles = Number(values.cycles ?? 24);
if (!Number.isInteger(seed) || !Number.isInteger(cycles)) throw new Error('--seed and --cycles take integers');

const t0 = Date.now();
const log = (line: string) => process.stderr.write(`[soak +${((Date.now() - t0) / 1000).toFixed(1)}s] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const schedule = soakSchedule({ seed, faults: cycles });
const scheduledMs = schedule.steps.reduce((n, s) => n + s.afterMs, 0);
// The fleet grows with the schedule, and is produced over about as long as the faults last.
const agents = Math.max(12, Math.ceil(cycles * 0.45));
log(`seed ${seed}, ${cycles} faults over ~${Math.round(scheduledMs / 1000)} s: ${JSON.stringify(countByKind(schedule.steps))}`);

const dir = mkdtempSync(join(tmpdir(), 'aw-soak-'));
const run = randomUUID().slice(0, 8);
const topics = {
  AGENTWATCH_EVENTS_TOPIC: `soak-events-${run}`,
  AGENTWATCH_ALERTS_TOPIC: `soak-alerts-${run}`,
  AGENTWATCH_DLQ_TOPIC: `soak-dlq-${run}`,
  AGENTWATCH_TOKENS_TOPIC: `soak-tokens-${run}`,
  AGENTWATCH_CHECKPOINTS_TOPIC: `soak-checkpoints-${run}`,
};
const group = `agentwatch-soak-${run}`;
const broker = await soakBroker();
let members: SoakMembers | null = null;
let producer: FleetProducer | null = null;
let exitCode = 1;

const partitioner = Partitioners.DefaultPartitioner();
const partitionMetadata = Array.from({ length: PARTITIONS }, (_, p) => ({ partitionId: p, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
const partitionOf = (key: string) => partitioner({ topic: topics.AGENTWATCH_EVENTS_TOPIC, partitionMetadata, message: { key, value: null } });

/** Opens a stopped collector's store in a child process (chdb: one data dir per process). */
const dumpStore = (member: string): StoreDump =>
  JSON.parse(
    execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'test', 'soak', 'store-dump.ts'), join(dir, member, 'clickhouse')], {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 256 << 20,
    })
      .trim()
      .split('\n')
      .pop() as string,
  ) as StoreDump;

try {
  // 1. The fleet and the reference (replay over the same events), while the broker starts.
  const fleet = (async () => {
    await simulateFleet({ agents, days: DAYS, seed, outDir: dir, start: recentStart(DAYS) });
    const events = readNdjson<CanonicalEvent>(join(dir, 'events.ndjson'));
    const out = join(dir, 'replay.ndjson');
    await replay({ registry: join(dir, 'registry.yaml'), files: [join(dir, 'events.ndjson')], inputFormat: 'canonical', out, log: () => {} });
    // telemetry_integrity alerts are timed by arrival, which differs between live and replay (same-clock.ts).
    const expected = new Map(sameClockAlerts(readNdjson<Alert>(out)).map((a) => [a.alert_id, a.count]));
    return { events, expected };
  })();
  await broker.start();
  const { events, expected } = await fleet;
  log(`broker ${broker.address}; fleet of ${agents} agents: ${events.length} events, replay: ${expected.size} alerts`);

  const kafka = new Kafka({ clientId: `aw-soak-${run}`, brokers: [broker.address], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: topics.AGENTWATCH_EVENTS_TOPIC, numPartitions: PARTITIONS, replicationFactor: 1 }] });
  await admin.disconnect();

  members = new SoakMembers({
    dir,
    registry: join(dir, 'registry.yaml'),
    log,
    listenTimeoutMs: 240_000,
    env: {
      KAFKA_BROKERS: broker.address,
      ...topics,
      AGENTWATCH_GROUP_ID: group,
      // The broker's minimum: a killed member's partitions move after this long.
      AGENTWATCH_KAFKA_SESSION_TIMEOUT: '6s',
      AGENTWATCH_CHECKPOINT_INTERVAL: '1s',
      AGENTWATCH_BOOTSTRAP_TOKEN: TOKEN,
      CLICKHOUSE_URL: '',
    },
  });
  const m = members;
  await Promise.all(schedule.initial.map((x) => m.start(x)));
  log(`collectors ${schedule.initial.join(', ')} listening`);

  // 2. Produce at a modest rate while the faults run.
  const perSecond = Math.max(50, Math.round(events.length / (scheduledMs / 1000)));
  producer = new FleetProducer(kafka, topics.AGENTWATCH_EVENTS_TOPIC, events, perSecond, partitionOf, log);
  log(`producing ${events.length} events at ${perSecond}/s`);
  const injected = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  const stops: FaultContext['stops'] = [];
  const ctx: FaultContext = { broker, members: m, producer, injected, stops, log };
  const running: Array<Promise<void>> = [];
  const faultErrors: string[] = [];
  for (const { afterMs, step } of schedule.steps) {
    await sleep(afterMs);
    const p = startFault(step, ctx).catch((e: unknown) => {
      faultErrors.push(`${step.kind}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
      log(`fault ${JSON.stringify(step)} failed: ${e instanceof Error ? e.message : String(e)}`);
    });
    running.push(p);
  }
  await Promise.all(running);
  await m.settled();
  log('schedule done; waiting for the fleet to be produced and the group to commit the end of the topic');

  // 3. Drain: every collector that should run runs; the group commits the end of the topic.
  await producer.done;
  if (!(['a', 'b', 'c'] as const).some((x) => m.running(x))) await m.start('a');
  const admin2 = kafka.admin();
  await admin2.connect();
  let committed = 0;
  const drained = await waitFor(
    'the group to commit the end of the topic',
    async () => {
      const [t] = await admin2.fetchOffsets({ groupId: group, topics: [topics.AGENTWATCH_EVENTS_TOPIC] });
      committed = (t?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
      return committed === producer?.produced.length ? true : null;
    },
    300_000,
  ).then(
    () => true,
    (e: unknown) => {
      log(e instanceof Error ? e.message : String(e));
      return false;
    },
  );
  const topicEvents = (await admin2.fetchTopicOffsets(topics.AGENTWATCH_EVENTS_TOPIC)).reduce((n, o) => n + Number(o.high), 0);
  await admin2.disconnect();
  m.endSupervision();
  const finalExits: Array<{ member: string; code: number | null; signal: NodeJS.Signals | null; tail: string }> = [];
  for (const x of ['a', 'b', 'c'] as const) {
    const exit = m.running(x) ? await m.stop(x) : null;
    if (exit) finalExits.push({ member: x, ...exit });
  }
  await producer.close();
  log(`drained: ${drained} (committed ${committed}); collectors stopped: ${JSON.stringify(finalExits)}`);

  // 4. What was stored and published, against replay.
  const messages = await readTopic(kafka, topics.AGENTWATCH_ALERTS_TOPIC);
  const topicAlerts = new Map<string, number>();
  for (const msg of messages) {
    const a = JSON.parse(msg.value) as Alert;
    if (a.category !== 'telemetry_integrity') topicAlerts.set(msg.key, a.count);
  }
  const stores = Object.fromEntries(m.started().map((x) => [x, dumpStore(x)]));
  const verdict = checkSoak({ produced: producer.produced, topicEvents, stores, held: m.held(), expected, topicAlerts });
  const unrequested = m.exits.filter((e) => !e.requested);
  const scheduled = countByKind(schedule.steps);
  const checks: Check[] = [
    {
      name: 'every scheduled fault injected',
      ok: FAULT_KINDS.every((k) => injected[k] === scheduled[k]) && faultErrors.length === 0,
      detail: faultErrors.length ? faultErrors.join('; ') : `${Object.values(injected).reduce((a, b) => a + b, 0)} faults`,
    },
    { name: 'the group committed the end of the topic', ok: drained, detail: `committed ${committed} of ${producer.produced.length}` },
    { name: 'collectors stopped cleanly at the end (exit 0)', ok: finalExits.every((e) => e.code === 0), detail: JSON.stringify(finalExits) },
    {
      // up's documented exit codes after SIGTERM: 0 (last checkpoint saved) or 3 (not saved; the next owner re-reads).
      name: 'every collector that left on SIGTERM and exited gave 0 or 3',
      ok: stops.every((s) => s.exit === null || s.exit.code === null || s.exit.code === 0 || s.exit.code === 3),
      detail: stops.map((s) => `${s.member}: ${s.exit ? (s.exit.code ?? s.exit.signal) : 'not running'}`).join(', ') || 'no leave',
    },
    {
      name: 'no collector exited on its own',
      ok: unrequested.length === 0,
      detail:
        unrequested.length === 0
          ? 'none'
          : unrequested.map((e) => `${e.member} code ${e.code}: ${e.tail.split('\n').filter(Boolean).slice(-2).join(' | ')}`).join('; '),
    },
    ...verdict.checks,
  ];
  const failed = checks.filter((c) => !c.ok);
  // Reported, not failed: a known finding that loses nothing (see the README's Fault soak), kept visible in every run.
  // up's documented exit codes after SIGTERM are 0 (last checkpoint saved) or 3 (not saved; the next owner re-reads).
  const diedOnSigterm = stops.filter((s) => s.exit !== null && s.exit.code === null);
  const findings = diedOnSigterm.map(
    (s) => `collector ${s.member} left on SIGTERM but died of the signal (no graceful stop, no exit code); its last log lines: ${s.exit?.tail}`,
  );
  const report = {
    seed,
    cycles,
    seconds: Math.round((Date.now() - t0) / 1000),
    partitions: PARTITIONS,
    agents,
    events: verdict.counts.events,
    alerts: verdict.counts.alerts,
    faults: injected,
    producerRetries: producer.retries,
    collectorExitsOnTheirOwn: unrequested.length,
    leaves: {
      total: stops.length,
      exit0: stops.filter((s) => s.exit?.code === 0).length,
      exit3: stops.filter((s) => s.exit?.code === 3).length,
      diedOfSigterm: diedOnSigterm.length,
    },
    storeRows: Object.fromEntries(Object.entries(stores).map(([k, v]) => [k, v.ids.length])),
    checks: checks.map((c) => ({ check: c.name, ok: c.ok, detail: c.detail })),
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  for (const f of findings) process.stdout.write(`FINDING (not counted as a failure): ${f}\n`);
  for (const c of failed) process.stdout.write(`FAILED: ${c.name}: ${c.detail}\n`);
  if (failed.length) process.stdout.write(`reproduce with: npm run soak -- --seed ${seed} --cycles ${cycles}\n`);
  process.stdout.write(`soak: ${checks.length - failed.length} passed, ${failed.length} failed\n`);
  exitCode = failed.length === 0 ? 0 : 1;
} catch (e) {
  log(`soak aborted: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.stdout.write(`reproduce with: npm run soak -- --seed ${seed} --cycles ${cycles}\nsoak: 0 passed, 1 failed\n`);
} finally {
  await producer?.close().catch(() => undefined);
  await members?.close().catch(() => undefined);
  await broker.dispose().catch(() => undefined);
  if (values.keep) members?.writeLogs();
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
  else log(`kept ${dir}`);
}
process.exit(exitCode);
