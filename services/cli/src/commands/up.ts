import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createAdapter } from '@agentwatch/adapters';
import {
  ApiError,
  buildServer,
  createApiMetrics,
  createTokenStore,
  registerEngineGauges,
  registerExporterGauges,
  registerPipelineGauges,
} from '@agentwatch/api';
import { createScrubber, scrubbingDestination, secretSafeLoggerOptions } from '@agentwatch/api/log-redaction';
import {
  CheckpointStore,
  DLQ_MAX_VALUE_BYTES,
  describeKafkaError,
  dlqMessage,
  isRetriableKafkaError,
  KafkaCollector,
  KafkaConnectionState,
  kafkaLogCreator,
  LagMonitor,
  LiveIncidents,
  LivePipeline,
  SourceTopicBridge,
  sendChunked,
  startWhenBrokerReady,
} from '@agentwatch/collector';
import { DetectionEngine, type SourceItem, SuppressionSet, type TokenLookup } from '@agentwatch/detections';
import { type Alert, type CanonicalEvent, durationToMs, severityRank } from '@agentwatch/schemas';
import { createStore, type RejectedRecord, type Store, storeFaultsFromEnv } from '@agentwatch/store';
import { Kafka, logLevel, type Message, type Producer } from 'kafkajs';
import pino from 'pino';
import { clickhouseSecurity } from '../clickhouse-security.ts';
import { bootstrapTokenOrigin, loadConfig } from '../config.ts';
import { resolveExporterSecrets } from '../exporter-secrets.ts';
import { startExporters } from '../exporters-start.ts';
import { kafkaSecurity } from '../kafka-security.ts';
import { CliError, loadRules } from '../load.ts';
import { RegistryVersionLog } from '../registry-versions.ts';
import { RegistryWatcher } from '../registry-watcher.ts';
import { EXIT_CHECKPOINT_NOT_SAVED, EXIT_STOPPED, ShutdownSignals, withShutdownDeadline } from '../shutdown-deadline.ts';
import { canonicalFileSource } from '../sources/event-file-source.ts';
import { loadTlsFiles } from '../tls-files.ts';
import { claimDataDir } from '../up-pid-file.ts';
import { simulate } from './simulate.ts';

export interface UpOptions {
  demo: boolean;
  config?: string;
  registry?: string;
  data?: string;
  listen?: string;
  rules?: string;
  /** Demo: how many seconds the simulated weeks are squeezed into. */
  demoSeconds?: number;
}

const COLOURS: Record<string, string> = { critical: '\x1b[35m', high: '\x1b[31m', medium: '\x1b[33m', low: '\x1b[36m', info: '\x1b[37m' };
const IN_PROCESS_GROUP = 'agentwatch-in-process';
const DAY_MS = 86_400_000;
const DEMO_DAYS = 16;
const IN_PROCESS_TOPIC = 'http';
/** How often the suppressions in force are re-read from the store (those created through another process's API). */
const SUPPRESSIONS_REFRESH_MS = 10_000;
/** Key of the in-process checkpoint's one "offset": the store's ingestion time it reflects everything before. */
const INGESTED_SINCE = 'ingested_since_ms';

/**
 * `agentwatch up` (cli.md): the whole pipeline in one process. HTTP API on --listen; events in over
 * `POST /v1/events`; stored in ClickHouse (embedded chdb under --data, or CLICKHOUSE_URL); detections
 * through the same engine as replay; alerts upserted as they open and grow. With KAFKA_BROKERS the HTTP
 * endpoint produces to the events topic and a Kafka consumer group feeds the pipeline; raw source topics
 * (`source_topics`) are mapped by their adapters onto the events topic. `POST /v1/traces` maps OTLP spans with the
 * OpenTelemetry adapter (`adapters.otlp` options); spans it rejects go to the DLQ topic (Kafka) or the store's
 * rejected_records table (in-process). `--demo` streams
 * a simulated fleet with injected attacks, time-accelerated, and prints alerts as they appear.
 * Runs until SIGTERM/SIGINT, then finishes the batch, checkpoints and closes.
 */
export async function up(opts: UpOptions): Promise<number> {
  const config = loadConfig({
    ...(opts.config ? { file: opts.config } : {}),
    env: process.env,
    flags: {
      ...(opts.registry ? { registry: opts.registry } : {}),
      ...(opts.data ? { data_dir: opts.data } : {}),
      ...(opts.listen ? { listen: opts.listen } : {}),
    },
  });
  const hasKafka = config.kafka_brokers !== undefined && config.kafka_brokers.length > 0;
  if (!hasKafka && Object.keys(config.source_topics).length > 0) {
    throw new CliError(
      `source_topics (${Object.keys(config.source_topics).join(', ')}) needs Kafka: set KAFKA_BROKERS (or kafka_brokers:), or remove source_topics; without Kafka, send source records with POST /v1/traces (OTLP) or replay them with agentwatch replay --input-format`,
      2,
    );
  }
  // Read before anything starts: a bad certificate, key or password file stops `up` with one line naming the setting.
  const tls = loadTlsFiles(config);
  const kafkaSec = kafkaSecurity(config, process.env);
  const clickhouseSec = clickhouseSecurity(config, process.env);
  const exporterSecrets = resolveExporterSecrets(config.exporters, process.env);
  // Secrets never reach the log: headers and secret keys redacted, URLs without query strings, and every line scrubbed
  // of the secrets this process knows (the bootstrap token, ClickHouse and Kafka passwords, client keys) and of
  // token-shaped words.
  const scrub = createScrubber([
    config.bootstrap_token,
    config.clickhouse_url ? new URL(config.clickhouse_url).password || undefined : undefined,
    ...kafkaSec.secrets,
    ...(clickhouseSec?.secrets ?? []),
    ...[...exporterSecrets.values()].flatMap((x) => [x.secret, x.tls?.key]),
  ]);
  const logger = pino({ level: process.env['LOG_LEVEL'] ?? 'info', ...secretSafeLoggerOptions(scrub) }, scrubbingDestination(scrub, pino.destination(2)));
  const log = logger.child({ component: 'up' });
  const dataDir = resolve(config.data_dir);
  mkdirSync(dataDir, { recursive: true });
  // Embedded store: this process holds the folder (token create reads this to say so instead of failing in the engine).
  const releaseDataDir = config.clickhouse_url ? () => undefined : claimDataDir(dataDir);

  let demoEvents: string | null = null;
  let registryPath = config.registry;
  if (opts.demo) {
    const demoDir = join(dataDir, 'demo');
    // The fleet's 16 days end at today's midnight (UTC): the events are recent, as a live feed's would be, so their
    // times pass the arrival check (events.md 1.1) against this run's clock.
    const start = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS - DEMO_DAYS * DAY_MS).toISOString();
    await simulate({ agents: 40, days: DEMO_DAYS, seed: 7, out: demoDir, start }, (l) => log.info(l));
    demoEvents = join(demoDir, 'events.ndjson');
    registryPath ??= join(demoDir, 'registry.yaml');
  }
  if (!registryPath) throw new CliError('agentwatch up needs a registry: --registry FILE (or `registry:` in the config file), or --demo', 2);

  let engine: DetectionEngine | null = null;
  let collector: KafkaCollector | null = null;
  // Every registry version loaded goes to registry_versions (GET /v1/registry/versions), once the store is open.
  const registryVersions = new RegistryVersionLog(resolve(registryPath), log);
  const watcher = new RegistryWatcher(registryPath, {
    onLoaded: (r, text) => {
      engine?.setRegistry(r);
      for (const p of collector?.pipelines() ?? []) p.engine.setRegistry(r);
      registryVersions.loaded(text, r.agentCount);
      log.info({ version: r.version, agents: r.agentCount }, 'registry reloaded');
    },
    onRejected: (problems) => log.error({ problems }, 'registry change refused; the previous registry stays in force'),
  }).start();
  registryVersions.loaded(watcher.text, watcher.registry.agentCount);
  const rules = await loadRules(opts.rules ?? config.rules_dir);
  // Shared by every engine of this process and replaced when the API creates or deletes one (alerts.md "Suppressions").
  const suppressions = new SuppressionSet();
  const newEngine = (sharedTokens?: TokenLookup) =>
    new DetectionEngine({
      registry: watcher.registry,
      rules,
      config: config.detection,
      onRuleError: (ruleId, error, event) => log.error({ ruleId, eventId: event.event_id, err: error }, 'rule failed'),
      ...(sharedTokens ? { sharedTokens } : {}),
      suppressions,
    });
  engine = newEngine();

  // TEST-ONLY (the fault soak, test/soak): AGENTWATCH_TEST_STORE_FAULTS names a file that makes store calls fail.
  const storeFaults = storeFaultsFromEnv(process.env);
  if (storeFaults) log.warn({ controlFile: storeFaults.controlFile }, 'TEST-ONLY store fault injection is enabled (AGENTWATCH_TEST_STORE_FAULTS)');
  const store = createStore({
    ...(storeFaults ? { wrapClient: storeFaults.wrapClient } : {}),
    ...(clickhouseSec ? { clickhouse: clickhouseSec.server } : {}),
    ...(config.clickhouse_cluster ? { cluster: config.clickhouse_cluster } : {}),
    dataDir: join(dataDir, 'clickhouse'),
    database: 'agentwatch',
    writer: config.instance_id ?? hostname(),
    logger: logger.child({ component: 'store' }),
  });
  await store.migrate();
  // Exporters start before alerts flow: a new exporter's cursor is the outbox's end when `up` starts.
  const exporters = await startExporters({
    config,
    store,
    secrets: exporterSecrets,
    kafkaOptions: kafkaSec.options,
    log: logger.child({ component: 'export' }),
  });
  const refreshSuppressions = async (): Promise<void> => suppressions.replace(await store.suppressions.inForce());
  await refreshSuppressions();
  await registryVersions.attach(store);
  // Incidents: the stored alerts go through the same grouping as replay --incidents; rebuilt from the store first.
  const incidents = new LiveIncidents({ store, windowMs: durationToMs(config.detection.incident_window), logger: logger.child({ component: 'incidents' }) });
  const regrouped = await incidents.rebuild();
  if (regrouped > 0) log.info({ alerts: regrouped }, 'incident grouping rebuilt from the stored alerts');
  const metrics = createApiMetrics();
  const shown = new Set<string>();
  const tty = process.stdout.isTTY;
  const onAlerts = async (alerts: Alert[]) => {
    await incidents.add(alerts);
    metrics.alertsEmitted.inc(alerts.length);
    // Hits of suppressions (once per alert, idempotent): bookkeeping, so a failure is logged, never fails the batch.
    await store.suppressions.recordHits(alerts).catch((err: unknown) => log.error({ err }, 'recording suppression hits failed'));
    if (!opts.demo) return;
    for (const a of alerts) {
      if (shown.has(a.alert_id) || severityRank(a.severity) < severityRank('medium')) continue;
      shown.add(a.alert_id);
      const sev = a.severity.toUpperCase().padEnd(8);
      process.stdout.write(
        `${tty ? `${COLOURS[a.severity] ?? ''}${sev}\x1b[0m` : sev} ${a.first_seen.slice(0, 16).replace('T', ' ')}  [${a.category}] ${a.title}\n`,
      );
    }
  };
  const pipeline = new LivePipeline({ engine, store, logger: logger.child({ component: 'pipeline' }), onAlerts });
  const checkpoints = new CheckpointStore(store);

  // Sources: Kafka consumer group when brokers are configured, else in-process from HTTP.
  let ingest: (items: SourceItem[]) => Promise<{ accepted: number; rejected: Array<{ line: number; error: string }>; duplicates?: number }>;
  let producerClose: (() => Promise<void>) | null = null;
  let bridge: SourceTopicBridge | null = null;
  // POST /v1/traces rejects: the DLQ topic with Kafka, the store's rejected_records table without (the server's default).
  let keepRejected: ((records: RejectedRecord[]) => Promise<void>) | undefined;
  // Kafka mode: where `up` stands with the broker (/readyz, log, metrics); aborted at shutdown while still waiting.
  let kafkaState: KafkaConnectionState | null = null;
  let lagMonitor: LagMonitor | null = null;
  const kafkaWait = new AbortController();
  let kafkaStarting: Promise<void> = Promise.resolve();
  if (config.kafka_brokers && config.kafka_brokers.length > 0) {
    const connection = new KafkaConnectionState(logger.child({ component: 'kafka' }));
    kafkaState = connection;
    // The one client instance: every consumer, producer and admin below comes from it, with its TLS and SASL options.
    const kafka = new Kafka({
      clientId: 'agentwatch',
      brokers: config.kafka_brokers,
      ...kafkaSec.options,
      logLevel: logLevel.WARN,
      logCreator: kafkaLogCreator(logger),
    });
    for (const warning of kafkaSec.warnings) log.warn(warning);
    log.info(kafkaSec.summary, 'kafka: connection security');
    // Connected once the broker answers (startWhenBrokerReady below); until then POST /v1/events answers 503.
    let connectedProducer: Producer | null = null;
    const producerArrived: Array<() => void> = [];
    // A request that comes while the broker is being connected waits a little (a healthy broker answers within it),
    // then is refused with 503 (retry later), never lost.
    const requireProducer = async (): Promise<Producer> => {
      if (!connectedProducer) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, INGEST_WAITS_FOR_KAFKA_MS);
          producerArrived.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      if (!connectedProducer) throw new ApiError(503, 'unavailable', `Kafka is not connected yet (${connection.reason}); retry later`);
      return connectedProducer;
    };
    // One engine per assigned partition (partitions move between collectors of the group with their state).
    const newCollector = () =>
      new KafkaCollector({
        kafka,
        connection,
        store,
        onAlerts,
        newPipeline: (partition, sharedTokens, writeBehind) =>
          new LivePipeline({
            engine: newEngine(sharedTokens),
            store,
            logger: logger.child({ component: 'pipeline', partition }),
            // Written behind the batches: large inserts shared by all partitions, in order before alerts and checkpoints.
            writeBehind,
          }),
        logger: logger.child({ component: 'collector' }),
        topic: config.events_topic,
        alertsTopic: config.alerts_topic,
        dlqTopic: config.dlq_topic,
        tokensTopic: config.tokens_topic,
        checkpointsTopic: config.checkpoints_topic,
        groupId: config.consumer_group,
        tokenGraceMs: durationToMs(config.detection.token_grace),
        checkpointIntervalMs: durationToMs(config.checkpoint_interval),
        maxPartitionSkewMs: durationToMs(config.partition_skew),
        consumerConfig: { sessionTimeout: durationToMs(config.kafka_session_timeout) },
        compression: config.kafka_compression,
        // An error that needs a person (not a broker that is away: that is waited for): exit so a supervisor restarts
        // from the checkpoints.
        onFatal: (err) => {
          log.fatal({ err }, 'collector stopped; exiting so a supervisor restarts from the checkpoints');
          process.exit(1);
        },
      });
    ingest = async (items) => {
      const producer = await requireProducer();
      // Sent in gzip-compressed chunks of at most ~512 KiB, so no partition's share of one HTTP body can exceed
      // the broker's message.max.bytes (1 MiB by default), whatever the API's body limit.
      // The message timestamp carries the arrival: the collector judges each event's time against it (events.md 1.1).
      const timestamp = String(Date.now());
      const messages: Message[] = [];
      for (const item of items) if ('event' in item) messages.push({ key: item.event.agent_id, value: JSON.stringify(item.event), timestamp });
      await sendChunked(producer, config.events_topic, messages, { compression: config.kafka_compression });
      return { accepted: messages.length, rejected: [] };
    };
    keepRejected = async (records) =>
      sendChunked(
        await requireProducer(),
        config.dlq_topic,
        records.map((r) =>
          dlqMessage({
            value: r.raw,
            reason: `${r.format}: ${r.reason}`,
            origin: { source: r.source },
            truncateAbove: DLQ_MAX_VALUE_BYTES,
            ...(r.rawBytes !== undefined ? { originalBytes: r.rawBytes } : {}),
            headers: { 'x-agentwatch-format': r.format, ...(r.path ? { 'x-agentwatch-path': r.path } : {}) },
          }),
        ),
        { compression: config.kafka_compression },
      );
    const hasSources = Object.keys(config.source_topics).length > 0;
    // Raw source topics -> adapters -> the events topic (read by the collector above like any other event).
    const newBridge = () =>
      new SourceTopicBridge({
        kafka,
        logger: logger.child({ component: 'sources' }),
        sources: config.source_topics,
        adapters: config.adapters,
        eventsTopic: config.events_topic,
        dlqTopic: config.dlq_topic,
        groupId: `${config.consumer_group}.sources`,
        compression: config.kafka_compression,
        consumerConfig: { sessionTimeout: durationToMs(config.kafka_session_timeout) },
        onFatal: (err) => {
          log.fatal({ err }, 'source topics stopped; exiting so a supervisor restarts from the committed offsets');
          process.exit(1);
        },
        onCounts: (topic, c) => {
          const source = `topic:${topic}`;
          metrics.adapterEvents.inc({ source }, c.events);
          metrics.adapterRejected.inc({ source }, c.rejected);
          metrics.adapterSkipped.inc({ source }, c.skipped);
        },
      });
    let pendingProducer: Producer | null = null;
    const startKafka = async (): Promise<void> => {
      pendingProducer = kafka.producer({ allowAutoTopicCreation: true });
      await pendingProducer.connect();
      // HTTP ingest can produce from now on (the consumer reads the topic from the group's start, whenever it joins).
      connectedProducer = pendingProducer;
      for (const arrived of producerArrived.splice(0)) arrived();
      collector = newCollector();
      await collector.start();
      if (hasSources) {
        bridge = newBridge();
        try {
          await bridge.start();
        } catch (err) {
          // E.g. a source topic that does not exist: a configuration problem, said plainly, then out (Kafka clients are open).
          if (!isRetriableKafkaError(err)) {
            log.fatal({ err }, 'source topics could not start');
            process.stderr.write(`agentwatch: source topics: ${err instanceof Error ? err.message : String(err)}\n`);
            process.exit(1);
          }
          throw err;
        }
      }
      producerClose = () => (pendingProducer ? pendingProducer.disconnect() : Promise.resolve());
      log.info({ brokers: config.kafka_brokers, topic: config.events_topic }, 'consuming from Kafka');
    };
    // A start that failed half way (the broker went away meanwhile): close what it opened before the next attempt.
    const undoStart = async (): Promise<void> => {
      const [b, c, p] = [bridge, collector, pendingProducer];
      bridge = null;
      collector = null;
      pendingProducer = null;
      connectedProducer = null;
      await b?.stop().catch(() => undefined);
      await c?.stop().catch(() => undefined);
      await p?.disconnect().catch(() => undefined);
    };
    // Waits (backoff, one log line per change, /readyz 503) for a broker that is starting, restarting or missing the
    // events topic; only an error that needs a person ends `up`.
    kafkaStarting = startWhenBrokerReady(
      { kafka, state: connection, topics: [config.events_topic], groupId: config.consumer_group, signal: kafkaWait.signal },
      startKafka,
      undoStart,
    ).then(
      () => undefined,
      (err: unknown) => {
        log.fatal({ err }, 'Kafka could not be started');
        process.stderr.write(`agentwatch: kafka: ${describeKafkaError(err)}\n`);
        process.exit(1);
      },
    );
    lagMonitor = new LagMonitor({ kafka, source: () => collector, logger: logger.child({ component: 'lag' }) });
    lagMonitor.start();
  } else {
    // HTTP ingest looks each batch's event ids up (duplicates, conflicts): the index that makes that cheap.
    await store.ensureEventIdIndex();
    const saved = await checkpoints.load(IN_PROCESS_GROUP, IN_PROCESS_TOPIC);
    if (saved) await pipeline.restore(saved.snapshot);
    // Without a checkpoint (a crash before the first one) every stored event is read back.
    const since = saved ? Number(saved.offsets[INGESTED_SINCE] ?? saved.createdAtMs) : 0;
    const replayed = await replayStoredSince(pipeline, store, since);
    if (saved || replayed > 0)
      log.info(
        { checkpoint: saved ? new Date(saved.createdAtMs).toISOString() : null, replayed },
        'engine restored from its checkpoint and the events stored after it',
      );
    ingest = async (items) => {
      const ids = items.map((i) => ('event' in i ? i.event.event_id : '')).join('\n');
      // Arrival = now, by this server's clock: each event's time is judged against it (events.md 1.1).
      const arrivalMs = Date.now();
      for (const i of items) if ('event' in i) i.arrivalMs ??= arrivalMs;
      const r = await pipeline.ingest(items, { dedupToken: createHash('sha256').update(ids).digest('hex'), source: 'http' });
      // Refused by the store (kept in rejected_records by the pipeline) and duplicates: told to the client.
      return { accepted: r.accepted, rejected: r.rejections.map((x) => ({ line: x.index + 1, error: x.error })), duplicates: r.duplicates };
    };
  }
  let inProcessSavedAtMs: number | null = null;
  const saveInProcessCheckpoint = async (): Promise<void> => {
    if (collector) return;
    // The HTTP source's "offset" is the store's ingestion time, read from the store's clock (it stamps ingested_at):
    // taken before the snapshot, so every event stored from then on is re-read after a crash (one already in the
    // snapshot is skipped by the engine as a duplicate).
    const ingestedSince = await store.now();
    const snapshot = await pipeline.checkpoint();
    await checkpoints.save({ groupId: IN_PROCESS_GROUP, topic: IN_PROCESS_TOPIC, offsets: { [INGESTED_SINCE]: String(ingestedSince) }, snapshot });
    inProcessSavedAtMs = Date.now();
  };
  registerExporterGauges(metrics, () => exporters.status());
  registerEngineGauges(metrics, () => [...(engine ? [engine] : []), ...(collector?.pipelines() ?? []).map((p) => p.engine)]);
  registerPipelineGauges(metrics, () => {
    const lags = lagMonitor?.snapshot() ?? [];
    return {
      ...(kafkaState ? { kafka: { phase: kafkaState.phase, phases: KAFKA_PHASES } } : {}),
      partitions: lags,
      checkpoints: collector
        ? lags.map((l) => ({ partition: String(l.partition), ageSeconds: l.checkpointAgeSeconds }))
        : kafkaState
          ? []
          : [{ partition: 'http', ageSeconds: inProcessSavedAtMs === null ? null : (Date.now() - inProcessSavedAtMs) / 1000 }],
    };
  });

  // The demo makes up an admin token when none is configured; that one (and only that one) is printed below.
  let bootstrapToken = config.bootstrap_token;
  const generatedToken = opts.demo && !bootstrapToken ? `aw_demo_${randomBytes(16).toString('hex')}` : undefined;
  bootstrapToken ??= generatedToken;
  const server = buildServer({
    store,
    ingest,
    otlpAdapter: createAdapter('otlp', config.adapters.otlp ?? {}),
    ...(keepRejected ? { keepRejected } : {}),
    tokens: createTokenStore(store),
    bootstrapToken,
    registry: () => watcher.registry.source,
    registryVersion: () => registryVersions.current,
    maxFutureSkewMs: durationToMs(config.detection.max_future_skew),
    logger: logger.child({ component: 'api' }),
    metrics,
    suppressions: { maxDays: config.suppression_max_days, changed: refreshSuppressions },
    exporters: () => exporters.status(),
    ...(tls ? { https: { cert: tls.cert, key: tls.key, ...(tls.clientCa ? { clientCa: tls.clientCa } : {}) } } : {}),
    ready: async () => {
      try {
        await store.client.query({ query: 'SELECT 1' }).then((r) => r.text());
      } catch (err) {
        return { ready: false, reason: `store: not reachable (${err instanceof Error ? err.message.split('\n')[0] : String(err)})` };
      }
      if (kafkaState && !kafkaState.ready) return { ready: false, reason: `kafka: ${kafkaState.phase} (${kafkaState.reason})` };
      return true;
    },
  });
  const [host, portText] = config.listen.split(/:(?=\d+$)/) as [string, string];
  // Before the listen line: a supervisor may send SIGTERM as soon as it reads that line (found by the fault soak).
  const signals = new ShutdownSignals(log);
  const address = await server.listen({ host, port: Number(portText) });
  log.info({ address, ...(tls ? { tls_cert_valid_to: tls.validTo, client_certificates: tls.clientCa !== undefined } : {}) }, 'agentwatch listening');
  process.stdout.write(`agentwatch listening on ${address}\n`);
  const tokenOrigin = config.bootstrap_token ? bootstrapTokenOrigin(process.env, opts.config) : undefined;
  if (tokenOrigin) log.info(`bootstrap admin token: from ${tokenOrigin} (not shown)`);
  if (opts.demo) process.stdout.write(demoBanner(address, generatedToken, tokenOrigin));

  let stopping = false;
  // With Kafka the demo's events are produced once the broker is there.
  const demo = demoEvents ? kafkaStarting.then(() => streamDemo(demoEvents, ingest, opts.demoSeconds ?? 40, () => stopping, log)) : Promise.resolve();
  const checkpointTimer = setInterval(() => {
    saveInProcessCheckpoint().catch((err: unknown) => log.error({ err }, 'checkpoint failed'));
  }, durationToMs(config.checkpoint_interval));
  const suppressionsTimer = setInterval(() => {
    refreshSuppressions().catch((err: unknown) => log.error({ err }, 'reading suppressions failed'));
  }, SUPPRESSIONS_REFRESH_MS);

  await signals.requested;
  stopping = true;
  clearInterval(checkpointTimer);
  clearInterval(suppressionsTimer);
  kafkaState?.stopping();
  kafkaWait.abort();
  // Kafka: saved when every partition's processed messages are in a saved checkpoint (none started: nothing to save).
  let inProcessSaved = false;
  const checkpointSaved = (): boolean => {
    const c = collector as KafkaCollector | null;
    if (kafkaState) return c === null || c.unsavedPartitions().length === 0;
    return inProcessSaved;
  };
  // Every graceful step inside one deadline: a broker or store that does not answer cannot hold `up` past it.
  const { code, timedOut } = await withShutdownDeadline(
    async () => {
      await demo.catch(() => undefined);
      await server.close();
      await kafkaStarting;
      await lagMonitor?.stop();
      if (bridge) await bridge.stop();
      if (collector) await collector.stop();
      if (producerClose) await producerClose();
      if (!kafkaState) {
        await saveInProcessCheckpoint();
        inProcessSaved = true;
      }
      watcher.stop();
      // After the sources: the alerts of the last batch are queued; what is not delivered yet is after a restart.
      await exporters.stop();
      await registryVersions.flush();
      await store.close();
      releaseDataDir();
      return checkpointSaved() ? EXIT_STOPPED : EXIT_CHECKPOINT_NOT_SAVED;
    },
    { checkpointSaved, log },
  );
  log.info({ exit_code: code }, 'stopped');
  // Steps cut short by the deadline (or failed) may hold sockets open, and kafkajs keeps retrying requests to a broker
  // that is gone long after its clients were disconnected: leave now rather than when they give up.
  if (timedOut || code !== EXIT_STOPPED || kafkaState) {
    releaseDataDir();
    process.exit(code);
  }
  return code;
}

const KAFKA_PHASES = ['starting', 'waiting', 'connected', 'stopping'] as const;
/** How long POST /v1/events waits for a broker being connected before answering 503. */
const INGEST_WAITS_FOR_KAFKA_MS = 10_000;

/**
 * The demo's how-to-call-the-API lines. A token is printed only when this run generated it; a configured one is a
 * secret someone else holds, so the banner says where it comes from and refers to it by name.
 */
export function demoBanner(address: string, generatedToken: string | undefined, tokenOrigin: string | undefined): string {
  const curl = (auth: string) =>
    `  curl -s -H "Authorization: Bearer ${auth}" '${address}/v1/alerts?severity=high'\nconsole: ${address}/ (sign in with that token)\n\n`;
  if (generatedToken) return `demo API token (admin, this run only): ${generatedToken}\n${curl(generatedToken)}`;
  const from = tokenOrigin ?? 'the configuration';
  const ref = from.includes('AGENTWATCH_BOOTSTRAP_TOKEN') ? '$AGENTWATCH_BOOTSTRAP_TOKEN' : '<token>';
  return `demo API token (admin): from ${from}, not shown\n${curl(ref)}`;
}

/**
 * In-process mode (HTTP, no Kafka) after a restart: the events stored after the checkpoint was taken went into the
 * store before their request was answered, but the engine state that reflected them was lost. They are read back
 * (time order) and run through the engine again, without storing them a second time. Returns how many.
 */
async function replayStoredSince(pipeline: LivePipeline, store: Store, ingestedSince: number): Promise<number> {
  let after: { time: string; event_id: string } | undefined;
  let n = 0;
  for (;;) {
    const stored = await store.queryStoredEvents({ ingestedSince, limit: 10_000, ...(after ? { after } : {}) });
    if (stored.length === 0) return n;
    // Judged against when they were stored, as they were the first time (events.md 1.1).
    await pipeline.reprocess(stored.map(({ event, ingestedAtMs }) => ({ event, timeMs: Date.parse(event.time), arrivalMs: ingestedAtMs })));
    n += stored.length;
    const last = (stored[stored.length - 1] as { event: CanonicalEvent }).event;
    after = { time: last.time, event_id: last.event_id };
  }
}

/** Feeds the simulated fleet's events to ingest in batches, paced so the whole recording takes `seconds`. */
async function streamDemo(
  file: string,
  ingest: (items: SourceItem[]) => Promise<unknown>,
  seconds: number,
  stopped: () => boolean,
  log: pino.Logger,
): Promise<void> {
  // The reader yields one batch per ~1 MiB read, so the file size tells how many batches to pace.
  const batches = Math.max(1, Math.ceil(statSync(file).size / (1 << 20)));
  const pause = (seconds * 1000) / batches;
  log.info({ batches, seconds }, 'demo: streaming the simulated fleet');
  for await (const batch of canonicalFileSource(file)) {
    if (stopped()) return;
    const t0 = performance.now();
    await ingest(batch);
    const left = pause - (performance.now() - t0);
    if (left > 0) await sleep(left);
  }
  log.info('demo: all simulated events sent; the API keeps serving until you stop it (Ctrl-C)');
}
