import { isUtf8 } from 'node:buffer';
import { type DetectionEngine, kafkaArrivalMs, type TokenLookup } from '@agentwatch/detections';
import { type Alert, type CanonicalEvent, MAX_EVENT_BYTES, parseEventJson } from '@agentwatch/schemas';
import type { EventRows, RefusedEvent, Store } from '@agentwatch/store';
import type { Admin, CompressionTypes, Consumer, ConsumerConfig, EachBatchPayload, Kafka, KafkaMessage, Message, Producer, ProducerRecord } from 'kafkajs';
import type { Logger } from 'pino';
import { superviseConsumer } from './consumer-supervisor.ts';
import { dlqMessage } from './dlq.ts';
import { GroupHorizon, newestPlausible } from './group-horizon.ts';
import { KAFKA_COMPRESSION, type KafkaCompression, STOP_ON_UNDECODABLE, undecodableBatch, undecodableBatchLine } from './kafka-codecs.ts';
import type { KafkaConnectionState } from './kafka-connection-state.ts';
import { describeKafkaError, kafkaErrorFields } from './kafka-errors.ts';
import { type LivePipeline, type PipelineWriteBehind, type PipelineWriteBehindOptions, pipelineWriteBehind } from './live-pipeline.ts';
import { KafkaCheckpointStore, type PartitionCheckpointStore, type ReportedProgress } from './partition-checkpoints.ts';
import { serialSend } from './serial-send.ts';
import { TokenFacts } from './token-facts.ts';
import type { GroupCommit, WriteBehind } from './write-behind.ts';

export const DEFAULT_EVENTS_TOPIC = 'agentwatch.events';
export const DEFAULT_ALERTS_TOPIC = 'agentwatch.alerts';
export const DEFAULT_DLQ_TOPIC = 'agentwatch.events.dlq';
export const DEFAULT_GROUP_ID = 'agentwatch-collector';
/** Messages per producer send for the write-behind channels (kafkajs' per-partition grouping is quadratic in a send). */
const KAFKA_MESSAGES_PER_SEND = 200;
/** Shortest gap between two reports of a partition's moving position. */
const PROGRESS_MIN_GAP_MS = 200;
/**
 * Longest wait for an end-offset read a batch needs (see GroupHorizon.needsEnds); past it the batch goes on with
 * the unconfirmed partitions holding the horizon (it waits longer for facts, never shorter).
 */
const ENDS_READ_WAIT_MS = 5_000;

export interface KafkaCollectorOptions {
  /** A kafkajs client (the caller owns its brokers, SASL/TLS and log settings). */
  kafka: Kafka;
  /**
   * A fresh pipeline with a fresh engine for one partition. The engine must be built with `sharedTokens`
   * (EngineOptions) so it sees credentials issued on other partitions and by other collectors, and the pipeline with
   * `writeBehind` (LivePipelineOptions), the collector's background writer, and `store`.
   */
  newPipeline: (partition: number, sharedTokens: TokenLookup, writeBehind: PipelineWriteBehind) => LivePipeline;
  /** The store the pipelines write to: events are written behind, in large inserts shared by all partitions. */
  store: Store;
  /** Tuning of the writes behind the batches (insert size, events held, linger). */
  writeBehind?: Pick<PipelineWriteBehindOptions, 'insertEventsAt' | 'maxHeldEvents' | 'eventsLingerMs'>;
  /** Alert versions after they were upserted and published to the alerts topic. Awaited. */
  onAlerts?: (alerts: Alert[]) => void | Promise<void>;
  logger: Logger;
  groupId?: string;
  topic?: string;
  alertsTopic?: string;
  dlqTopic?: string;
  /** Compacted topic of token facts shared by all collectors (default agentwatch.tokens). */
  tokensTopic?: string;
  /** Where partition checkpoints live; default a compacted Kafka topic (agentwatch.checkpoints). */
  checkpoints?: PartitionCheckpointStore;
  checkpointsTopic?: string;
  /**
   * Checkpoint (and commit) a partition after this many batches (default: by time only)... A checkpoint costs a
   * snapshot of the partition's engine; between checkpoints a crash or a rebalance re-reads at most that stretch.
   */
  checkpointEveryBatches?: number;
  /** ...or once this long has passed since its last checkpoint, whichever comes first (default 5 s). */
  checkpointIntervalMs?: number;
  /**
   * Partitions, across the whole group, are kept within this much event time of the slowest one with a backlog
   * (default 6 h). Engines hold token uses until that slowest partition is `token_fact_wait` past them (the fact
   * horizon), so late facts are matched whatever the allowance; it bounds how much they hold (and checkpoint).
   */
  maxPartitionSkewMs?: number;
  /** Partitions processed at the same time (default 1; each has its own engine, batches of one partition stay in order). */
  partitionsConsumedConcurrently?: number;
  /** How often this collector reports its partitions' progress and reads the topic's end offsets (default 500 ms). */
  progressIntervalMs?: number;
  /** How long shared token facts outlive their token (the engines' token_grace; default 1 day). */
  tokenGraceMs?: number;
  /** Largest message value accepted (default MAX_EVENT_BYTES, 1 MiB). */
  maxMessageBytes?: number;
  /** Codec of the alerts and DLQ entries it produces (config `kafka_compression`; default none). */
  compression?: KafkaCompression;
  /** Called once when consumption stopped for good (kafkajs gave up restarting). Default: log only. */
  onFatal?: (error: Error) => void;
  /** Told when the consumer joins its group, crashes or disconnects (/readyz, the log, /metrics). */
  connection?: KafkaConnectionState;
  /** Extra kafkajs consumer settings (maxBytesPerPartition, sessionTimeout, ...); groupId and retry are the collector's. */
  consumerConfig?: Partial<Omit<ConsumerConfig, 'groupId' | 'retry'>>;
}

export interface CollectorStats {
  batches: number;
  messages: number;
  accepted: number;
  dlq: number;
  /** Alert versions published to the alerts topic. */
  alerts: number;
  checkpoints: number;
  /** Messages at or before a restored checkpoint's offset, already reflected in its state. */
  skipped: number;
  /** Messages fetched past a pacing cut (left for after the pause, when they are fetched again). */
  deferred: number;
  /** Partition states dropped after a failed batch (rebuilt from their checkpoint). */
  reloads: number;
  /** Wall time spent inside batches (decode, engine, queueing writes; waiting for the writer when it is full). */
  busyMs: number;
  /** Background writes that failed (each made every partition re-read from its last saved checkpoint). */
  writeFailures: number;
}

/**
 * A valid message: the event, its time, the message value (stored verbatim), and its arrival (the message timestamp,
 * never later than this consumer's clock: see detections time/event-time.ts). `plausible` is false when the event's time
 * is not believed: it is stored and reported, but takes no part in pacing, positions or token facts.
 */
interface DecodedEvent {
  event: CanonicalEvent;
  timeMs: number;
  json: Buffer;
  arrivalMs: number;
  plausible: boolean;
}

interface DlqEntry {
  message: KafkaMessage;
  reason: string;
}

/** One assigned partition: its own engine (inside its pipeline) and how far it got. */
interface PartitionShard {
  partition: number;
  pipeline: LivePipeline;
  /** Next offset to process; everything before it is in the engine. */
  nextOffset: bigint;
  /** Offset of the last saved checkpoint (= the committed offset): where a reload goes back to. */
  checkpointOffset: bigint;
  /** Offset of the last checkpoint taken (its save may still be queued behind the writes it reflects). */
  queuedOffset: bigint;
  batchesSinceCheckpoint: number;
  /** Messages and accepted events this shard counted in the stats (those since the last save are uncounted when it is dropped). */
  counted: { messages: number; accepted: number };
  /** {@link counted} as of the last saved checkpoint. */
  countedAtSave: { messages: number; accepted: number };
  lastCheckpointMs: number;
  /** When the last checkpoint was saved (null: none saved by this collector yet). */
  savedAtMs: number | null;
  /** Batches and timer checkpoints of one partition run one at a time: a snapshot always matches nextOffset. */
  lock: Promise<unknown>;
}

/**
 * Consumes canonical events from Kafka (a consumer group, messages keyed by agent_id) with one detection engine per
 * partition, so partitions, with their agents' state, can move between collectors.
 *
 * Per batch (one partition's messages): decode; invalid or oversized -> DLQ with the reason in headers (sent before
 * going on); valid -> the partition's `pipeline.ingest` (engine; alerts). Everything the batch produced is written
 * behind ({@link WriteBehind}), in order, while the next batch runs: its events go to ClickHouse in large inserts
 * shared by all partitions, its token facts to the shared tokens topic, its alerts to the store and then the alerts
 * topic; every N batches or T seconds the partition checkpoint (engine snapshot + next offset) is queued after them
 * and saved once they are durable, and only then is the offset committed. A failed write makes every partition
 * re-read from its last saved checkpoint.
 *
 * Assignment and rebalance: a partition's engine is created on its first batch from that partition's checkpoint,
 * and messages before the checkpoint's offset are skipped (they are in its state), so it does not matter whether the
 * group's committed offset lags the checkpoint. When the group takes a partition away its engine is dropped; the
 * next owner resumes from the checkpoint and re-reads only what came after. A batch that fails after its engine
 * step drops that partition's engine and seeks back to its checkpoint: redelivery never counts an event twice.
 */
export class KafkaCollector {
  private readonly opts: KafkaCollectorOptions & {
    groupId: string;
    topic: string;
    alertsTopic: string;
    dlqTopic: string;
    checkpointEveryBatches: number;
    checkpointIntervalMs: number;
    maxMessageBytes: number;
  };
  private readonly log: Logger;
  private consumer: Consumer | null = null;
  private producer: Producer | null = null;
  /** Sends through {@link producer}, one at a time (see serialSend). */
  private send: ((record: ProducerRecord) => Promise<unknown>) | null = null;
  private readonly checkpoints: PartitionCheckpointStore;
  private readonly ownCheckpointStore: KafkaCheckpointStore | null;
  private readonly tokens: TokenFacts;
  private readonly shards = new Map<number, PartitionShard>();
  /**
   * Partitions whose engine was dropped after a failure with processed messages not in a saved checkpoint, and the
   * offset they had reached: that work is lost until a later checkpoint of the partition gets that far.
   */
  private readonly droppedUnsaved = new Map<number, bigint>();
  /** Offsets and positions of every partition of the group: the fact horizon and the pacing. */
  private readonly horizon: GroupHorizon;
  /** Reads the events topic's end offsets (the broker's facts the horizon's idleness rests on). */
  private admin: Admin | null = null;
  /** The newest end-offset read in flight and its number (GroupHorizon.beginEndsRead). */
  private endsReading: { read: number; done: Promise<void> } | null = null;
  private readonly counters: CollectorStats = {
    batches: 0,
    messages: 0,
    accepted: 0,
    dlq: 0,
    alerts: 0,
    checkpoints: 0,
    skipped: 0,
    deferred: 0,
    reloads: 0,
    busyMs: 0,
    writeFailures: 0,
  };
  private readonly writeBehind: PipelineWriteBehind;
  private readonly writer: WriteBehind;
  private readonly events: GroupCommit<EventRows>;
  private readonly facts: GroupCommit<Message>;
  private readonly alerts: GroupCommit<Alert>;
  private crashed: Error | null = null;
  private stopping = false;
  /** Position per partition whose token facts are written (what may be reported), and the last one reported. */
  private readonly durable = new Map<number, { nextOffset: bigint; timeMs: number }>();
  private readonly reported = new Map<number, { nextOffset: bigint; timeMs: number; caughtUp: boolean; atMs: number }>();
  private progressTimer: NodeJS.Timeout | null = null;
  private readonly progressIntervalMs: number;
  private readonly compression: CompressionTypes;

  constructor(opts: KafkaCollectorOptions) {
    this.opts = {
      groupId: DEFAULT_GROUP_ID,
      topic: DEFAULT_EVENTS_TOPIC,
      alertsTopic: DEFAULT_ALERTS_TOPIC,
      dlqTopic: DEFAULT_DLQ_TOPIC,
      checkpointEveryBatches: Number.POSITIVE_INFINITY,
      checkpointIntervalMs: 5_000,
      maxMessageBytes: MAX_EVENT_BYTES,
      ...opts,
    };
    this.log = opts.logger.child({ component: 'collector' });
    this.compression = KAFKA_COMPRESSION[opts.compression ?? 'none'];
    this.progressIntervalMs = opts.progressIntervalMs ?? 500;
    this.horizon = new GroupHorizon({
      maxSkewMs: opts.maxPartitionSkewMs ?? 6 * 3_600_000,
      factsRead: (facts) => this.tokens.hasRead(facts),
    });
    this.ownCheckpointStore = opts.checkpoints
      ? null
      : new KafkaCheckpointStore({ kafka: opts.kafka, logger: this.log, ...(opts.checkpointsTopic ? { topic: opts.checkpointsTopic } : {}) });
    this.checkpoints = opts.checkpoints ?? (this.ownCheckpointStore as KafkaCheckpointStore);
    this.checkpoints.onProgress((p) => {
      if (p.groupId !== this.opts.groupId || p.topic !== this.opts.topic) return;
      if (!isOffsetReport(p)) {
        // A report without offsets (a collector from before offsets were reported): no fact about offsets, ignored.
        this.log.debug({ partition: p.partition }, 'progress report without offsets ignored');
        return;
      }
      this.horizon.report(p);
      this.resumeReady();
    });
    this.tokens = new TokenFacts({
      kafka: opts.kafka,
      logger: this.log,
      graceMs: opts.tokenGraceMs ?? 86_400_000,
      ...(opts.tokensTopic ? { topic: opts.tokensTopic } : {}),
      onFact: (tokenId) => this.tokenFactArrived(tokenId),
    });
    const writes = pipelineWriteBehind({
      store: opts.store,
      onFailure: (e) => this.writesFailed(e),
      publish: (alerts) => this.sendAlerts(alerts),
      onRefused: (rows) => this.dlqRefused(rows),
      ...(opts.onAlerts ? { onAlerts: opts.onAlerts } : {}),
      ...opts.writeBehind,
    });
    this.writeBehind = writes;
    this.writer = writes.writer;
    this.events = writes.events;
    this.alerts = writes.alerts;
    // Token facts go out as soon as there are any (other collectors may have parked uses waiting for them). At most
    // 200 per send: kafkajs groups a send's messages by partition with an array copy per message (quadratic; ~300 MB
    // of garbage per 213k events with sends of thousands).
    this.facts = this.writer.channel<Message>('token-facts', (messages) => this.tokens.send(messages), {
      flushAt: 0,
      maxHeld: 100_000,
      maxPerWrite: KAFKA_MESSAGES_PER_SEND,
    });
  }

  stats(): CollectorStats & { partitions: number[]; paused: number[]; writeBehind: ReturnType<WriteBehind['stats']> } {
    return {
      ...this.counters,
      partitions: [...this.shards.keys()].sort((a, b) => a - b),
      paused: this.horizon.paused(),
      writeBehind: this.writer.stats(),
    };
  }

  /** The error that stopped consumption, if any (kafkajs gave up restarting). */
  get error(): Error | null {
    return this.crashed;
  }

  /** Every partition pipeline now held (e.g. to swap in a reloaded registry). */
  pipelines(): LivePipeline[] {
    return [...this.shards.values()].map((s) => s.pipeline);
  }

  /** Reads the shared token facts and checkpoints, joins the group and starts consuming. */
  async start(): Promise<void> {
    const { kafka, groupId, topic } = this.opts;
    await this.ownCheckpointStore?.start();
    await this.tokens.start();
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await this.producer.connect();
    this.send = serialSend(this.producer);
    // kafkajs sleeps maxWaitTime when every partition is paused (pacing): keep it short so a resume takes effect soon.
    // maxBytesPerPartition 512 KiB (kafkajs: 1 MiB): catching up on a backlog, a partition's batch is cut where it
    // gets `maxPartitionSkewMs` ahead of the slowest, and what was fetched past the cut is fetched again after the
    // pause. With 1 MiB fetches 160k of 373k fetched messages were thrown away in the pipeline bench; 512 KiB measured
    // 50k events/s against 45-46k (256 KiB: 44-46k, more round trips).
    const consumer = kafka.consumer({
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 100,
      maxBytesPerPartition: 512 * 1024,
      ...this.opts.consumerConfig,
      groupId,
      // A batch that does not decompress fails every fetch of its partition: stop (documented) instead of restarting forever.
      retry: STOP_ON_UNDECODABLE,
    });
    this.consumer = consumer;
    this.opts.connection?.watch(consumer, topic);
    // A crash for a broker condition restarts the run loop (one line, no stack); any other stops consumption.
    superviseConsumer(consumer, {
      log: this.log,
      what: 'consumer',
      stopping: () => this.stopping,
      run: () => this.runConsumer(consumer),
      onFatal: (err) => {
        // A batch that does not decompress: one line naming it and the rule (docs/architecture.md, "Compression codecs").
        const bad = undecodableBatch(err);
        if (bad)
          this.log.error({ topic: bad.topic, partition: bad.partition, firstOffset: bad.firstOffset, lastOffset: bad.lastOffset }, undecodableBatchLine(bad));
        this.crashed = err;
        this.opts.onFatal?.(err);
      },
      ...(this.opts.connection ? { connection: this.opts.connection } : {}),
    });
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const assigned = e.payload.memberAssignment[topic] ?? [];
      for (const p of [...this.shards.keys()]) {
        if (!assigned.includes(p)) {
          // Its next owner resumes from the partition's checkpoint.
          this.shards.delete(p);
          this.reported.delete(p);
          this.durable.delete(p);
          this.log.info({ partition: p }, 'partition revoked; its engine is dropped');
        }
      }
      // A partition gone to another owner is re-read from its checkpoint there: not this collector's to save.
      for (const p of [...this.droppedUnsaved.keys()]) if (!assigned.includes(p)) this.droppedUnsaved.delete(p);
      this.horizon.assign(assigned);
      // Partitions taken away while paused are resumed in the consumer (it keeps pauses across rebalances).
      this.resumeReady();
      this.log.info({ groupId, topic, partitions: assigned }, 'partitions assigned');
    });
    this.admin = kafka.admin();
    await this.admin.connect();
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await this.runConsumer(consumer);
    this.progressTimer = setInterval(() => {
      this.reportProgress();
      this.checkpointQuiet();
      // In the background too, so pacing sees the other partitions' backlogs (a batch that needs a fresher read asks).
      void this.readEnds();
    }, this.progressIntervalMs);
    this.log.info({ groupId, topic }, 'collector started');
  }

  private runConsumer(consumer: Consumer): Promise<void> {
    return consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // Partitions are independent (own engine, own lock), so more than one may run; measured no gain with chdb.
      partitionsConsumedConcurrently: this.opts.partitionsConsumedConcurrently ?? 1,
      eachBatch: (payload) => this.handleBatch(payload),
    });
  }

  /**
   * Per assigned partition: the next offset to process, the offset of its last saved checkpoint (= committed) and
   * when that was saved (null before the first), for lag and checkpoint-age metrics.
   */
  positions(): Array<{ partition: number; nextOffset: bigint; checkpointOffset: bigint; savedAtMs: number | null }> {
    return [...this.shards.values()].map((s) => ({
      partition: s.partition,
      nextOffset: s.nextOffset,
      checkpointOffset: s.checkpointOffset,
      savedAtMs: s.savedAtMs,
    }));
  }

  /** The events topic (lag is measured against its end offsets). */
  get topic(): string {
    return this.opts.topic;
  }

  /**
   * Partitions held here whose processed messages are not all in a saved checkpoint (empty: a restart re-reads
   * nothing this collector processed). Read at any time, e.g. by a caller that gives up waiting for {@link stop}.
   */
  unsavedPartitions(): number[] {
    const held = [...this.shards.values()].filter((s) => s.nextOffset > s.checkpointOffset).map((s) => s.partition);
    // An engine dropped after a failed write (reload) took its unsaved progress with it: still unsaved, not "nothing".
    return [...new Set([...held, ...this.droppedUnsaved.keys()])].sort((a, b) => a - b);
  }

  /** Graceful stop: the batch in flight finishes (checkpointed and committed), then every partition is checkpointed. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.progressTimer) clearInterval(this.progressTimer);
    this.progressTimer = null;
    const consumer = this.consumer;
    const failed = (err: unknown) => {
      this.log.error({ reason: describeKafkaError(err) }, 'final checkpoints failed; the next owner re-reads from the last saved ones');
    };
    if (consumer) {
      // Still in the group (kafkajs cannot commit once stopped): no new batches, the one in flight finishes, then
      // every partition is checkpointed and its offset committed.
      consumer.pause([{ topic: this.opts.topic }]);
      await this.flush().catch(failed);
      await consumer.stop();
    }
    this.consumer = null;
    // A batch that was still starting when the group was left: its checkpoint alone is the restart point.
    await this.flush().catch(failed);
    if (consumer) await consumer.disconnect();
    await this.tokens.stop();
    await this.ownCheckpointStore?.stop();
    const admin = this.admin;
    this.admin = null;
    await admin?.disconnect().catch(() => undefined);
    const producer = this.producer;
    this.producer = null;
    if (producer) await producer.disconnect();
    this.log.info(this.counters, 'collector stopped');
  }

  /**
   * Checkpoints every partition with progress not yet checkpointed and waits until everything written behind so
   * far (events, token facts, alerts, checkpoints, commits) is done. Rejects if a write failed.
   */
  async flush(): Promise<void> {
    for (const shard of [...this.shards.values()]) {
      await this.exclusive(shard, async () => {
        if (this.holds(shard) && shard.nextOffset > shard.queuedOffset && !shard.pipeline.isBroken) {
          await this.checkpoint(shard);
        }
      });
    }
    await this.writer.drain();
  }

  /** The partition's engine, restored from its checkpoint the first time the partition is seen here. */
  private async shardFor(partition: number): Promise<PartitionShard> {
    const existing = this.shards.get(partition);
    if (existing) return existing;
    const pipeline = this.opts.newPipeline(partition, this.tokens.table, this.writeBehind);
    const cp = await this.checkpoints.load(this.opts.groupId, this.opts.topic, partition);
    let offset = -1n;
    if (cp) {
      await pipeline.restore(cp.snapshot);
      offset = BigInt(cp.offset);
      // Facts that arrived while nobody held this partition resolve the uses its engine had parked.
      await pipeline.resolveToken(null);
      this.log.info({ partition, offset: cp.offset, savedAt: new Date(cp.createdAtMs).toISOString() }, 'partition engine restored from checkpoint');
    }
    const shard: PartitionShard = {
      partition,
      pipeline,
      nextOffset: offset,
      checkpointOffset: offset,
      queuedOffset: offset,
      batchesSinceCheckpoint: 0,
      counted: { messages: 0, accepted: 0 },
      countedAtSave: { messages: 0, accepted: 0 },
      lastCheckpointMs: Date.now(),
      savedAtMs: cp ? cp.createdAtMs : null,
      lock: Promise.resolve(),
    };
    this.shards.set(partition, shard);
    return shard;
  }

  /** Whether `shard` is still this collector's engine for its partition (not dropped by a failure, reload or revocation). */
  private holds(shard: PartitionShard): boolean {
    return this.shards.get(shard.partition) === shard;
  }

  /** Runs `fn` when nothing else runs on the shard (a batch, or a checkpoint from the timer). */
  private exclusive<T>(shard: PartitionShard, fn: () => Promise<T>): Promise<T> {
    const next = shard.lock.then(fn, fn);
    shard.lock = next.catch(() => undefined);
    return next;
  }

  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, isRunning, isStale } = payload;
    if (batch.messages.length === 0 || !isRunning() || isStale()) return;
    // End-offset reads begun from here on began after this batch was fetched (GroupHorizon.needsEnds).
    const since = this.horizon.readsSoFar();
    // Backpressure: the writes behind are bounded (memory, and what a crash re-reads).
    await this.writer.ready();
    if (!isRunning() || isStale()) return;
    const shard = await this.shardFor(batch.partition);
    await this.exclusive(shard, async () => {
      // Dropped while this batch waited (a failed timer checkpoint reloaded it): the seek re-fetches these messages.
      if (!this.holds(shard)) return;
      await this.processBatch(shard, payload, since);
    });
  }

  private async processBatch(shard: PartitionShard, { batch, resolveOffset, heartbeat }: EachBatchPayload, since: number): Promise<void> {
    const { topic, partition } = batch;
    const started = performance.now();
    const high = BigInt(batch.highWatermark);
    this.horizon.fetched(partition, high);
    // Messages before the shard's offset are already in its (restored) state.
    const fresh = shard.nextOffset < 0n ? batch.messages : batch.messages.filter((m) => BigInt(m.offset) >= shard.nextOffset);
    this.counters.skipped += batch.messages.length - fresh.length;
    if (fresh.length === 0) {
      resolveOffset((batch.messages[batch.messages.length - 1] as KafkaMessage).offset);
      return;
    }
    if (shard.nextOffset >= 0n && BigInt((fresh[0] as KafkaMessage).offset) > shard.nextOffset) {
      this.log.warn(
        { partition, expected: shard.nextOffset.toString(), got: (fresh[0] as KafkaMessage).offset },
        'offsets missing after the checkpoint (retention?)',
      );
    }
    // Decode up to the first event past the pacer's event-time limit (set by the first valid event); the rest is
    // fetched again after the pause, so decoding it now would be thrown away.
    const items: Array<DecodedEvent> = [];
    const dlq: DlqEntry[] = [];
    let firstTime = Number.NEGATIVE_INFINITY;
    let limit = Number.POSITIVE_INFINITY;
    let cut = fresh.length;
    for (let i = 0; i < fresh.length; i++) {
      const m = fresh[i] as KafkaMessage;
      const r = this.decode(m, topic, partition, shard.pipeline.engine);
      if (typeof r === 'string') {
        dlq.push({ message: m, reason: r });
        continue;
      }
      // A time that is not believed has no say in pacing (a message dated 9999 would pause its partition forever).
      if (!r.plausible) {
        items.push(r);
        continue;
      }
      if (firstTime === Number.NEGATIVE_INFINITY) {
        firstTime = r.timeMs;
        limit = this.horizon.limitFor(partition, firstTime);
      }
      if (r.timeMs > limit) {
        cut = i;
        break;
      }
      items.push(r);
    }
    this.counters.deferred += fresh.length - cut;
    if (cut === 0) {
      // Nothing may run yet: wait (paused) for the slower partitions, known from now on at its first event.
      const at = shard.nextOffset >= 0n ? shard.nextOffset : BigInt((fresh[0] as KafkaMessage).offset);
      this.horizon.observe(partition, at, firstTime - 1);
      // Reported, so the group knows where it waits (once the facts before it are written).
      this.reportOnceFactsWritten(shard);
      this.pauseUntilOthersCatchUp(partition);
      return;
    }
    const first = fresh[0] as KafkaMessage;
    const last = fresh[cut - 1] as KafkaMessage;
    const dedupToken = `${topic}:${partition}:${first.offset}-${last.offset}`;

    // DLQ first: a bad message is durable somewhere before its offset can ever be committed.
    if (dlq.length > 0) await this.sendDlq(dlq, topic, partition);
    // A failure up to the engine step leaves the engine untouched: kafkajs redelivers.
    let result: Awaited<ReturnType<LivePipeline['ingest']>>;
    const tIngest = performance.now();
    // Held token uses wait for facts until every partition that can still deliver one passed them (not just this
    // one): idleness is believed from end offsets read after this batch was fetched.
    // A read costs a round trip per batch: paid only when the horizon can matter (a held use may be let go).
    if (this.horizon.needsEnds(partition, since) && this.mayLetGo(shard, items)) await this.readEnds(since);
    const factHorizon = this.horizon.factHorizon(partition, since);
    shard.pipeline.engine.setFactHorizon(factHorizon);
    try {
      // Catching up on a backlog: even new alerts wait for the checkpoint (fewer, larger writes); live: at once.
      const backlog = high > BigInt(last.offset) + 1n;
      result = await shard.pipeline.ingest(items, { dedupToken, holdAll: backlog });
    } catch (e) {
      // Dropped meanwhile by a failed write behind (already seeking back to its checkpoint): nothing more to do.
      if (!this.holds(shard)) return;
      if (shard.pipeline.isBroken) await this.reload(shard, e);
      throw e;
    }
    // A failed write behind dropped this partition's engine meanwhile: the seek back re-fetches these messages.
    if (!this.holds(shard)) return;
    // From here on the engine has seen the batch: a failure drops this partition's engine and re-reads from its
    // checkpoint (redelivery into the advanced engine would count the batch twice).
    const tPublish = performance.now();
    let tCheckpoint = Number.NaN;
    try {
      await heartbeat().catch((err: unknown) => this.log.warn(kafkaErrorFields(err), 'heartbeat failed'));
      if (!this.holds(shard)) return;
      this.facts.add(this.tokens.record(items.filter((i) => i.plausible).map((i) => i.event)));
      shard.nextOffset = BigInt(last.offset) + 1n;
      // Live (caught up): what the pipeline held goes out now, so a growing alert is seen at once. Catching up on a
      // backlog, it waits for the checkpoint: fewer, larger writes, where latency is already that of the backlog.
      if (high <= shard.nextOffset) await shard.pipeline.flushPending();
      // (Checked after every wait: a failed write behind may have dropped this engine, and its stats, meanwhile.)
      if (!this.holds(shard)) return;
      shard.batchesSinceCheckpoint++;
      resolveOffset(last.offset);
      this.counters.messages += cut;
      this.counters.accepted += result.accepted;
      shard.counted.messages += cut;
      shard.counted.accepted += result.accepted;
      const due =
        this.stopping ||
        shard.batchesSinceCheckpoint >= this.opts.checkpointEveryBatches ||
        Date.now() - shard.lastCheckpointMs >= this.opts.checkpointIntervalMs;
      if (due) {
        tCheckpoint = performance.now();
        await this.checkpoint(shard);
      }
    } catch (e) {
      if (!this.holds(shard)) return;
      await this.reload(shard, e);
      throw e;
    }
    // Taken away (or dropped) while the checkpoint was taken: its position is its new engine's or owner's to say now;
    // noted here it would stand, stale, for a partition this collector no longer reads.
    if (!this.holds(shard)) return;
    // Implausible times (a hostile agent's far future) never become a position.
    const newest = newestPlausible(items);
    // Shared facts go no earlier than the horizon this batch ran with: slower partitions may still look them up.
    if (newest > Number.NEGATIVE_INFINITY) this.tokens.sweep(newest, factHorizon);
    this.horizon.observe(partition, shard.nextOffset, newest);
    this.reportOnceFactsWritten(shard);
    if (cut < fresh.length) this.pauseUntilOthersCatchUp(partition);
    else this.resumeReady();

    this.counters.batches++;
    this.counters.dlq += dlq.length;
    const ms = performance.now() - started;
    this.counters.busyMs += ms;
    this.log.debug(
      {
        topic,
        partition,
        first: first.offset,
        last: last.offset,
        accepted: result.accepted,
        fetched: fresh.length,
        dlq: dlq.length,
        alerts: result.alerts.length,
        ms: Math.round(ms),
        // Where the batch's time went: decode+pace, engine, queueing its writes, taking the checkpoint.
        decodeMs: Math.round(tIngest - started),
        ingestMs: Math.round(tPublish - tIngest),
        publishMs: Math.round((Number.isNaN(tCheckpoint) ? performance.now() : tCheckpoint) - tPublish),
        checkpointMs: Number.isNaN(tCheckpoint) ? 0 : Math.round(performance.now() - tCheckpoint),
      },
      'batch done',
    );
  }

  /**
   * Takes the partition's checkpoint (engine snapshot + next offset) now and queues its save after the writes it
   * reflects (the batches' events, token facts, held alerts); once saved, the offset is committed. Call inside the
   * shard's lock and wait for it (the snapshot must match `nextOffset`); `saved` settles when the save ran (callers
   * need not handle its rejection: a failed write reaches {@link writesFailed}).
   */
  private async checkpoint(shard: PartitionShard): Promise<{ saved: Promise<void> }> {
    // What the pipeline held back (later alert versions) is written and published before the state that reflects it.
    await shard.pipeline.flushPending();
    const snapshot = await shard.pipeline.checkpoint();
    const offset = shard.nextOffset;
    // The position at the snapshot's offset: reported with the save, which waits until its facts are written.
    const position = this.horizon.position(shard.partition);
    const counted = { ...shard.counted };
    shard.queuedOffset = offset;
    shard.batchesSinceCheckpoint = 0;
    shard.lastCheckpointMs = Date.now();
    const saved = this.writer.step(async () => {
      // Moved to another collector (or dropped after a failure) meanwhile: its next engine saves its own.
      if (!this.holds(shard)) return;
      const { groupId, topic } = this.opts;
      const nowMs = Date.now();
      const at = position && position.nextOffset === offset ? { nextOffset: offset, timeMs: position.timeMs } : null;
      if (at) this.setDurable(shard.partition, at);
      const progress = at ? this.progressOf(shard.partition, at, position?.endOffset ?? offset, nowMs) : undefined;
      await this.checkpoints.save({ groupId, topic, partition: shard.partition, offset: offset.toString(), snapshot, createdAtMs: nowMs }, progress);
      if (at) this.reported.set(shard.partition, { ...at, caughtUp: offset >= (position?.endOffset ?? offset), atMs: nowMs });
      if (offset > shard.checkpointOffset) shard.checkpointOffset = offset;
      const lost = this.droppedUnsaved.get(shard.partition);
      if (lost !== undefined && offset >= lost) this.droppedUnsaved.delete(shard.partition);
      shard.countedAtSave = counted;
      shard.savedAtMs = nowMs;
      this.counters.checkpoints++;
      // The committed offset is only ever a saved checkpoint's (lag monitoring, and where kafkajs starts after a rebalance).
      await this.consumer?.commitOffsets([{ topic, partition: shard.partition, offset: offset.toString() }]).catch((err: unknown) => {
        // Not fatal: the checkpoint is the restart point; a later commit (or the next owner) moves the group on.
        this.log.warn({ ...kafkaErrorFields(err), partition: shard.partition }, 'offset commit failed after checkpoint');
      });
    }, [this.events, this.facts, this.alerts]);
    return { saved };
  }

  /**
   * A write behind failed: what it carried is lost, and every engine may have seen events whose writes were dropped
   * with it, so every partition re-reads from its last saved checkpoint (nothing later was saved or committed).
   */
  private writesFailed(error: Error): void {
    this.counters.writeFailures++;
    this.log.error(kafkaErrorFields(error), 'a background write failed; every partition re-reads from its last saved checkpoint');
    for (const shard of [...this.shards.values()]) {
      shard.pipeline.markBroken(error);
      void this.reload(shard, error);
    }
    this.writer.reset();
  }

  /** Drops a partition's engine after a failed batch and seeks back to its checkpoint, where a fresh engine resumes. */
  private async reload(shard: PartitionShard, cause: unknown): Promise<void> {
    // Once per shard: a write failure and the batch it broke may both get here.
    if (!this.holds(shard)) return;
    this.shards.delete(shard.partition);
    if (shard.nextOffset > shard.checkpointOffset) {
      const before = this.droppedUnsaved.get(shard.partition) ?? -1n;
      this.droppedUnsaved.set(shard.partition, shard.nextOffset > before ? shard.nextOffset : before);
    }
    this.counters.reloads++;
    // Those messages are read again by the partition's next engine and counted then.
    this.counters.messages -= shard.counted.messages - shard.countedAtSave.messages;
    this.counters.accepted -= shard.counted.accepted - shard.countedAtSave.accepted;
    this.log.error(
      { ...kafkaErrorFields(cause), partition: shard.partition },
      'partition state dropped after a failure past its engine step; re-reading from its checkpoint',
    );
    try {
      // No checkpoint yet: the partition's engine started from its first message, so that is where to go back to.
      const offset = shard.checkpointOffset >= 0n ? shard.checkpointOffset.toString() : await this.firstOffset(shard.partition);
      this.consumer?.seek({ topic: this.opts.topic, partition: shard.partition, offset });
    } catch (err) {
      this.log.warn({ err, partition: shard.partition }, 'seek back to the checkpoint failed (partition reassigned?)');
    }
  }

  /** The oldest offset the broker still holds for a partition of the events topic. */
  private async firstOffset(partition: number): Promise<string> {
    const admin = this.opts.kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(this.opts.topic);
      const low = offsets.find((o) => o.partition === partition)?.low;
      if (low === undefined) throw new Error(`partition ${partition} of ${this.opts.topic} not found`);
      return low;
    } finally {
      await admin.disconnect();
    }
  }

  /** The batch was cut at the pacer's limit: pause the partition (unless nothing holds it back after all). */
  private pauseUntilOthersCatchUp(partition: number): void {
    if (!this.horizon.pause(partition)) return;
    this.consumer?.pause([{ topic: this.opts.topic, partitions: [partition] }]);
    this.log.debug({ partition }, 'partition paused: ahead of a lagging partition in event time');
    this.resumeReady();
  }

  /** Timer: checkpoints partitions that processed messages but had no batch since the interval passed (went quiet). */
  private checkpointQuiet(): void {
    const nowMs = Date.now();
    for (const shard of this.shards.values()) {
      if (shard.nextOffset <= shard.queuedOffset || nowMs - shard.lastCheckpointMs < this.opts.checkpointIntervalMs) continue;
      this.exclusive(shard, async () => {
        // Re-checked inside the lock: a batch may have checkpointed it, or the partition moved to another collector.
        if (!this.holds(shard) || shard.pipeline.isBroken || shard.nextOffset <= shard.queuedOffset) return;
        if (Date.now() - shard.lastCheckpointMs < this.opts.checkpointIntervalMs) return;
        await this.checkpoint(shard);
      }).catch((err: unknown) => {
        // Taking the snapshot failed (the pipeline is broken): re-read the partition from its last checkpoint.
        if (this.holds(shard)) void this.reload(shard, err);
      });
    }
  }

  /**
   * Tells the group how far this collector's partitions got (processed offset, event time), for every partition
   * whose written position changed since its last report. Runs on a timer, so what the rate limit held back is
   * reported too. No heartbeat: a report is an offset fact that stays true whether its sender lives or not.
   */
  private reportProgress(): void {
    for (const partition of this.shards.keys()) this.reportPosition(partition);
    this.resumeReady();
  }

  /**
   * After a batch: its position is reported once the token facts of its messages are written (the facts channel
   * sends them at once), so "processed up to offset N" always means "facts before N are on the tokens topic".
   */
  private reportOnceFactsWritten(shard: PartitionShard): void {
    const position = this.horizon.position(shard.partition);
    if (!position) return;
    const at = { nextOffset: position.nextOffset, timeMs: position.timeMs };
    this.facts.flushTo(this.facts.mark()).then(
      () => {
        if (!this.holds(shard)) return;
        this.setDurable(shard.partition, at);
        this.reportPosition(shard.partition);
      },
      // A failed write reaches writesFailed (every partition re-reads from its checkpoint); nothing to report.
      () => undefined,
    );
  }

  private setDurable(partition: number, at: { nextOffset: bigint; timeMs: number }): void {
    const cur = this.durable.get(partition);
    if (!cur || at.nextOffset > cur.nextOffset || (at.nextOffset === cur.nextOffset && at.timeMs > cur.timeMs)) this.durable.set(partition, at);
  }

  private progressOf(partition: number, at: { nextOffset: bigint; timeMs: number }, endOffset: bigint, nowMs: number): ReportedProgress {
    const { groupId, topic } = this.opts;
    const end = endOffset > at.nextOffset ? endOffset : at.nextOffset;
    const timeMs = Number.isFinite(at.timeMs) ? at.timeMs : null;
    // The facts written so far include those of every message before `nextOffset` (reported once they were written).
    const facts = this.tokens.writtenThrough();
    return { groupId, topic, partition, nextOffset: at.nextOffset.toString(), timeMs, endOffset: end.toString(), atMs: nowMs, facts };
  }

  /** Whether running `items` through the partition's engine could let go of a held token use (see engine.mayLetGoHeldUses). */
  private mayLetGo(shard: PartitionShard, items: readonly DecodedEvent[]): boolean {
    let first = Number.POSITIVE_INFINITY;
    for (const i of items) if (i.plausible && i.timeMs < first) first = i.timeMs;
    return shard.pipeline.engine.mayLetGoHeldUses(first, newestPlausible(items));
  }

  /** Reports one partition's written position if it changed; not awaited. */
  private reportPosition(partition: number): void {
    if (!this.consumer) return;
    const at = this.durable.get(partition);
    if (!at) return;
    const endOffset = this.horizon.position(partition)?.endOffset ?? at.nextOffset;
    const caughtUp = at.nextOffset >= endOffset;
    const nowMs = Date.now();
    const last = this.reported.get(partition);
    if (last && last.nextOffset === at.nextOffset && last.timeMs === at.timeMs) return;
    // A moving position at most every 200 ms (a produce per batch cost ~3% of a catch-up); reaching the end (or
    // falling behind it) at once. The timer reports what was held back.
    if (last && last.caughtUp === caughtUp && nowMs - last.atMs < PROGRESS_MIN_GAP_MS) return;
    this.reported.set(partition, { ...at, caughtUp, atMs: nowMs });
    this.checkpoints
      .reportProgress(this.progressOf(partition, at, endOffset, nowMs))
      .catch((err: unknown) => this.log.warn({ reason: describeKafkaError(err), partition }, 'progress report failed'));
  }

  /**
   * Reads the events topic's end offsets into the horizon. `since`: resolves once a read begun after that read
   * number is done (one in flight is shared), or after {@link ENDS_READ_WAIT_MS}; a failed read is logged at debug
   * and leaves the horizon conservative (unconfirmed partitions hold).
   */
  private async readEnds(since = Number.NEGATIVE_INFINITY): Promise<void> {
    let reading = this.endsReading;
    if (!reading || reading.read <= since) {
      const admin = this.admin;
      if (!admin) return;
      const read = this.horizon.beginEndsRead();
      const done = admin
        .fetchTopicOffsets(this.opts.topic)
        .then((ends) => {
          this.horizon.endsRead(read, ends);
          this.resumeReady();
        })
        .catch((err: unknown) => this.log.debug({ reason: describeKafkaError(err) }, 'end offsets not read'))
        .finally(() => {
          if (this.endsReading?.read === read) this.endsReading = null;
        });
      reading = { read, done };
      this.endsReading = reading;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ENDS_READ_WAIT_MS);
    });
    await Promise.race([reading.done, timeout]);
    clearTimeout(timer);
  }

  private resumeReady(): void {
    const { resume } = this.horizon.plan();
    if (resume.length) this.consumer?.resume([{ topic: this.opts.topic, partitions: resume }]);
  }

  /** A token fact arrived: partitions whose engines parked uses of it re-check them; the alerts go out at once. */
  private tokenFactArrived(tokenId: string): void {
    for (const shard of this.shards.values()) {
      if (!shard.pipeline.engine.waitsForToken(tokenId)) continue;
      shard.pipeline.resolveToken(tokenId).catch((err: unknown) => {
        this.log.error({ err, partition: shard.partition, tokenId }, 'late token fact failed; reloading the partition');
        void this.reload(shard, err);
      });
    }
  }

  private async sendAlerts(alerts: readonly Alert[]): Promise<void> {
    if (alerts.length === 0) return;
    // Every alert version published (from a batch, a checkpoint's held versions, or a late token fact).
    this.counters.alerts += alerts.length;
    const messages: Message[] = alerts.map((a) => ({ key: a.alert_id, value: JSON.stringify(a) }));
    await this.requireSend()({ topic: this.opts.alertsTopic, acks: -1, compression: this.compression, messages });
  }

  /** A valid message's event, or the DLQ reason for an invalid one. */
  private decode(m: KafkaMessage, topic: string, partition: number, engine: DetectionEngine): DecodedEvent | string {
    const value = m.value;
    if (value === null || value.length === 0) return 'empty message (no value)';
    if (value.length > this.opts.maxMessageBytes) return `message of ${value.length} bytes is larger than ${this.opts.maxMessageBytes} bytes`;
    // JSON text is UTF-8 (RFC 8259): the bytes are stored as they are, so bytes that decode only with replacement
    // characters would reach the store unlike the event that was validated.
    if (!isUtf8(value)) return 'message is not valid UTF-8';
    const text = value.toString('utf8');
    const r = parseEventJson(text);
    if (!r.ok) {
      return r.problems
        .slice(0, 5)
        .map((p) => `${p.path}: ${p.message}`)
        .join('; ');
    }
    if (m.key && m.key.length > 0 && !keyIs(m.key, r.value.agent_id)) {
      // Keyed by something else: still processed (per-agent order may not hold), but visible in the log.
      this.log.warn({ topic, partition, offset: m.offset, key: m.key.toString('utf8'), agent_id: r.value.agent_id }, 'message key is not the event agent_id');
    }
    const timeMs = Date.parse(r.value.time);
    const arrivalMs = kafkaArrivalMs(Number(m.timestamp), Date.now());
    return { event: r.value, timeMs, json: value, arrivalMs, plausible: engine.judge(timeMs, arrivalMs) === 'plausible' };
  }

  private async sendDlq(entries: DlqEntry[], topic: string, partition: number): Promise<void> {
    // Headers and the cut of an oversized value: dlq.ts (shared with the source topic bridge and POST /v1/traces).
    const messages: Message[] = entries.map(({ message, reason }) =>
      dlqMessage({
        key: message.key,
        value: message.value,
        reason,
        origin: { topic, partition, offset: message.offset },
        truncateAbove: this.opts.maxMessageBytes,
      }),
    );
    await this.requireSend()({ topic: this.opts.dlqTopic, acks: -1, compression: this.compression, messages });
    for (const { message, reason } of entries) this.log.warn({ topic, partition, offset: message.offset, reason }, 'message sent to DLQ');
  }

  /**
   * Rows the store refused (isolated from a group-committed insert, the others stored): to the DLQ with the reason,
   * before the write counts as done, so no checkpoint passes them and no partition re-reads them forever. The engine
   * had seen them (written behind): an alert may cite an event that is in the DLQ, not in the store.
   */
  private async dlqRefused(rows: readonly RefusedEvent[]): Promise<void> {
    const messages: Message[] = rows.map((r) =>
      dlqMessage({
        value: r.raw,
        reason: r.reason,
        origin: { source: 'store' },
        truncateAbove: this.opts.maxMessageBytes,
        headers: { 'x-agentwatch-batch': r.key },
      }),
    );
    await this.requireSend()({ topic: this.opts.dlqTopic, acks: -1, compression: this.compression, messages });
    this.counters.dlq += rows.length;
    for (const r of rows) this.log.warn({ batch: r.key, reason: r.reason }, 'row refused by the store sent to DLQ');
  }

  private requireSend(): (record: ProducerRecord) => Promise<unknown> {
    if (!this.send || !this.producer) throw new Error('collector is not started');
    return this.send;
  }
}

/** A progress report that carries offsets (older collectors reported event time and a backlog flag only). */
function isOffsetReport(p: ReportedProgress): boolean {
  const offset = (v: unknown) => typeof v === 'string' && /^\d{1,19}$/.test(v);
  const facts = p.facts === undefined || (typeof p.facts === 'object' && p.facts !== null && Object.values(p.facts).every(offset));
  return offset(p.nextOffset) && offset(p.endOffset) && (p.timeMs === null || Number.isFinite(p.timeMs)) && facts;
}

/** Whether a message key holds exactly `agentId` (compared byte by byte for ASCII ids: no string per message). */
function keyIs(key: Buffer, agentId: string): boolean {
  if (key.length !== agentId.length) return key.toString('utf8') === agentId;
  for (let i = 0; i < key.length; i++) {
    const c = agentId.charCodeAt(i);
    if (c >= 0x80) return key.toString('utf8') === agentId;
    if (key[i] !== c) return false;
  }
  return true;
}
