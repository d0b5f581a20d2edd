import type { SourceItem } from '@agentwatch/detections';
import { MAX_EVENT_BYTES, parseEventJson } from '@agentwatch/schemas';
import type { Admin, Consumer, ConsumerConfig, EachBatchPayload, Kafka, KafkaMessage, Message, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { CheckpointStore, PartitionOffsets } from './checkpoint-store.ts';
import type { LivePipeline } from './live-pipeline.ts';

export const DEFAULT_EVENTS_TOPIC = 'agentwatch.events';
export const DEFAULT_ALERTS_TOPIC = 'agentwatch.alerts';
export const DEFAULT_DLQ_TOPIC = 'agentwatch.events.dlq';
export const DEFAULT_GROUP_ID = 'agentwatch-collector';
/** An oversized message is kept in the DLQ as its first this-many bytes (header x-agentwatch-original-bytes has the size). */
const DLQ_MAX_VALUE_BYTES = 64 * 1024;

export interface KafkaCollectorOptions {
  /** A kafkajs client (the caller owns its brokers, SASL/TLS and log settings). */
  kafka: Kafka;
  pipeline: LivePipeline;
  logger: Logger;
  groupId?: string;
  topic?: string;
  alertsTopic?: string;
  dlqTopic?: string;
  /** Engine checkpoints with their offsets; without it a restart starts the engine empty at the group's offsets. */
  checkpoints?: CheckpointStore;
  /** Save a checkpoint after every N committed batches (default 1). */
  checkpointEveryBatches?: number;
  /** Largest message value accepted (default MAX_EVENT_BYTES, 1 MiB). */
  maxMessageBytes?: number;
  /**
   * Called once when the collector cannot go on in this process (a batch failed after the engine had seen it, so
   * redelivery would double-count): the consumer is stopped; restart with a fresh engine, which restores the
   * checkpoint. Default: log only (check {@link KafkaCollector.error}).
   */
  onFatal?: (error: Error) => void;
  /** Extra kafkajs consumer settings (maxBytesPerPartition, sessionTimeout, ...); groupId and retry are the collector's. */
  consumerConfig?: Partial<Omit<ConsumerConfig, 'groupId' | 'retry'>>;
  /** How long start() waits for the group to be empty before moving it to the checkpoint's offsets (default 60 s). */
  groupEmptyTimeoutMs?: number;
}

/** A batch failed after the engine processed it; the collector stops instead of redelivering (see onFatal). */
export class CollectorFatalError extends Error {
  override name = 'CollectorFatalError';
  constructor(override readonly cause: Error) {
    super(`collector stopped: a batch failed after the engine processed it (${cause.message}); restart from the checkpoint`);
  }
}

export interface CollectorStats {
  batches: number;
  messages: number;
  accepted: number;
  dlq: number;
  alerts: number;
  checkpoints: number;
  /** Wall time spent inside batches (decode, store, engine, produce, checkpoint, commit). */
  busyMs: number;
}

interface DlqEntry {
  message: KafkaMessage;
  reason: string;
}

/**
 * Consumes canonical events from Kafka (a consumer group, messages keyed by agent_id) into the {@link LivePipeline}.
 * Per batch (one partition's messages): decode; invalid or oversized -> DLQ with the reason in headers; valid ->
 * `pipeline.ingest` (store + engine + alerts) with dedup token `topic:partition:first-last`; alerts -> alerts topic;
 * then the checkpoint (engine snapshot + next offsets) and only then the offsets are resolved and committed.
 * A failure anywhere before the commit leaves the batch uncommitted: it is redelivered, never dropped.
 *
 * Restart: the checkpoint's offsets win over the group's committed offsets (the group is moved to them before
 * joining, with admin.setOffsets), so the restored engine sees exactly the events after its snapshot. Partitions the
 * checkpoint does not know keep the group's offsets. Single collector only; see README for rebalance.
 */
export class KafkaCollector {
  private readonly opts: Required<Omit<KafkaCollectorOptions, 'checkpoints' | 'onFatal' | 'consumerConfig'>> & {
    consumerConfig: KafkaCollectorOptions['consumerConfig'];
    checkpoints: CheckpointStore | undefined;
    onFatal: ((error: Error) => void) | undefined;
  };
  private readonly log: Logger;
  private consumer: Consumer | null = null;
  private producer: Producer | null = null;
  /** Next offset to read per partition, for everything the engine has seen (what a checkpoint reflects). */
  private readonly offsets: PartitionOffsets = {};
  private batchesSinceCheckpoint = 0;
  private readonly counters: CollectorStats = { batches: 0, messages: 0, accepted: 0, dlq: 0, alerts: 0, checkpoints: 0, busyMs: 0 };
  private crashed: Error | null = null;
  /** Set when a batch failed after the engine processed it. */
  private fatal: CollectorFatalError | null = null;

  constructor(opts: KafkaCollectorOptions) {
    this.opts = {
      groupId: DEFAULT_GROUP_ID,
      topic: DEFAULT_EVENTS_TOPIC,
      alertsTopic: DEFAULT_ALERTS_TOPIC,
      dlqTopic: DEFAULT_DLQ_TOPIC,
      checkpointEveryBatches: 1,
      maxMessageBytes: MAX_EVENT_BYTES,
      groupEmptyTimeoutMs: 60_000,
      ...opts,
      checkpoints: opts.checkpoints,
      onFatal: opts.onFatal,
      consumerConfig: opts.consumerConfig,
    };
    this.log = opts.logger.child({ component: 'collector' });
  }

  stats(): CollectorStats {
    return { ...this.counters };
  }

  /** The error that stopped consumption, if any (kafkajs gave up restarting, or the pipeline broke). */
  get error(): Error | null {
    return this.crashed;
  }

  /** Restores the checkpoint (if any), moves the group to its offsets, and starts consuming. */
  async start(): Promise<void> {
    const { kafka, groupId, topic, checkpoints } = this.opts;
    if (checkpoints) {
      const cp = await checkpoints.load(groupId, topic);
      if (cp) {
        await this.opts.pipeline.restore(cp.snapshot);
        Object.assign(this.offsets, cp.offsets);
        await this.moveGroupTo(cp.offsets);
        this.log.info({ groupId, topic, offsets: cp.offsets, seq: cp.seq }, 'engine restored from checkpoint');
      }
    }
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await this.producer.connect();
    const consumer = kafka.consumer({
      allowAutoTopicCreation: false,
      ...this.opts.consumerConfig,
      groupId,
      // A fatal batch must not be redelivered to this (advanced) engine; anything else restarts as usual.
      retry: { restartOnFailure: async (e) => !(e instanceof CollectorFatalError || this.fatal) },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.CRASH, (e) => {
      const err = e.payload.error;
      this.log.error({ err, restart: e.payload.restart }, 'consumer crashed');
      if (!e.payload.restart && !this.fatal) {
        this.crashed = err;
        this.opts.onFatal?.(err);
      }
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.handleBatch(payload),
    });
    this.log.info({ groupId, topic }, 'collector started');
  }

  /** Graceful stop: the batch in flight finishes and commits, then the clients disconnect. */
  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = null;
    if (consumer) {
      await consumer.stop();
      await consumer.disconnect();
    }
    // The last batches since the previous checkpoint (every N batches) get one now.
    if (this.opts.checkpoints && this.batchesSinceCheckpoint > 0 && !this.fatal && !this.opts.pipeline.isBroken) await this.saveCheckpoint();
    const producer = this.producer;
    this.producer = null;
    if (producer) await producer.disconnect();
    this.log.info(this.counters, 'collector stopped');
  }

  private async moveGroupTo(offsets: PartitionOffsets): Promise<void> {
    const partitions = Object.entries(offsets).map(([p, offset]) => ({ partition: Number(p), offset }));
    if (partitions.length === 0) return;
    const admin: Admin = this.opts.kafka.admin();
    await admin.connect();
    try {
      // setOffsets needs an empty group: after a crash the dead member stays until its session times out.
      const until = Date.now() + this.opts.groupEmptyTimeoutMs;
      for (;;) {
        try {
          await admin.setOffsets({ groupId: this.opts.groupId, topic: this.opts.topic, partitions });
          return;
        } catch (e) {
          if (!/no running instances/i.test((e as Error).message) || Date.now() > until) throw e;
          this.log.info({ groupId: this.opts.groupId }, 'waiting for the consumer group to be empty before restoring offsets');
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
    } finally {
      await admin.disconnect();
    }
  }

  private async handleBatch({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0 || !isRunning() || isStale()) return;
    const { topic, partition } = batch;
    const started = performance.now();
    const items: SourceItem[] = [];
    const dlq: DlqEntry[] = [];
    for (const m of batch.messages) {
      const reason = this.decode(m, topic, partition, items);
      if (reason) dlq.push({ message: m, reason });
    }
    const first = batch.messages[0] as KafkaMessage;
    const last = batch.messages[batch.messages.length - 1] as KafkaMessage;
    const dedupToken = `${topic}:${partition}:${first.offset}-${last.offset}`;

    if (this.fatal) throw this.fatal;
    // DLQ first: a bad message is durable somewhere before its offset can ever be committed.
    if (dlq.length > 0) await this.sendDlq(dlq, topic, partition);
    // A failure up to here (store down before the engine step) leaves the engine untouched: redelivery is safe.
    let result: Awaited<ReturnType<LivePipeline['ingest']>>;
    try {
      result = await this.opts.pipeline.ingest(items, { dedupToken });
    } catch (e) {
      if (this.opts.pipeline.isBroken) throw this.fail(e);
      throw e;
    }
    // From here on the engine has seen the batch: any failure is fatal (redelivery would count it twice).
    // A heartbeat error (e.g. a rebalance starting) is not a reason to give up the batch: the commit decides.
    const beat = () => heartbeat().catch((err: unknown) => this.log.warn({ err }, 'heartbeat failed'));
    try {
      await beat();
      if (result.alerts.length > 0) {
        const messages: Message[] = result.alerts.map((a) => ({ key: a.alert_id, value: JSON.stringify(a) }));
        await this.requireProducer().send({ topic: this.opts.alertsTopic, acks: -1, messages });
      }
      this.offsets[String(partition)] = (BigInt(last.offset) + 1n).toString();
      this.batchesSinceCheckpoint++;
      if (this.opts.checkpoints && this.batchesSinceCheckpoint >= this.opts.checkpointEveryBatches) await this.saveCheckpoint();

      resolveOffset(last.offset);
      // autoCommit is off, so commitOffsetsIfNecessary() without arguments would be a no-op: commit explicitly.
      await commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition, offset: this.offsets[String(partition)] as string }] }] });
    } catch (e) {
      throw this.fail(e);
    }

    this.counters.batches++;
    this.counters.messages += batch.messages.length;
    this.counters.accepted += result.accepted;
    this.counters.dlq += dlq.length;
    this.counters.alerts += result.alerts.length;
    const ms = performance.now() - started;
    this.counters.busyMs += ms;
    this.log.debug(
      {
        topic,
        partition,
        first: first.offset,
        last: last.offset,
        accepted: result.accepted,
        dlq: dlq.length,
        alerts: result.alerts.length,
        ms: Math.round(ms),
      },
      'batch committed',
    );
  }

  /**
   * Marks the collector fatal and stops consuming at once (not through kafkajs' retry/restart cycle, which would only
   * redeliver the batch to an engine that has already seen it).
   */
  private fail(e: unknown): CollectorFatalError {
    if (this.fatal) return this.fatal;
    const fatal = new CollectorFatalError(e instanceof Error ? e : new Error(String(e)));
    this.fatal = fatal;
    this.crashed = fatal;
    this.log.error({ err: fatal.cause }, 'batch failed after the engine step; stopping consumption');
    const consumer = this.consumer;
    // Not awaited: stop() waits for this very batch to end.
    setImmediate(() => {
      consumer?.stop().catch((err: unknown) => this.log.error({ err }, 'consumer stop failed'));
      this.opts.onFatal?.(fatal);
    });
    return fatal;
  }

  /** Saves engine snapshot + offsets now (also called by {@link handleBatch} every N batches). */
  async saveCheckpoint(): Promise<void> {
    const cps = this.opts.checkpoints;
    if (!cps) return;
    const snapshot = await this.opts.pipeline.checkpoint();
    await cps.save({ groupId: this.opts.groupId, topic: this.opts.topic, offsets: { ...this.offsets }, snapshot });
    this.batchesSinceCheckpoint = 0;
    this.counters.checkpoints++;
  }

  /** Pushes a valid message onto `items`; returns the DLQ reason for an invalid one. */
  private decode(m: KafkaMessage, topic: string, partition: number, items: SourceItem[]): string | null {
    const value = m.value;
    if (value === null || value.length === 0) return 'empty message (no value)';
    if (value.length > this.opts.maxMessageBytes) return `message of ${value.length} bytes is larger than ${this.opts.maxMessageBytes} bytes`;
    const text = value.toString('utf8');
    const r = parseEventJson(text);
    if (!r.ok) {
      return r.problems
        .slice(0, 5)
        .map((p) => `${p.path}: ${p.message}`)
        .join('; ');
    }
    const key = m.key?.toString('utf8');
    if (key !== undefined && key !== '' && key !== r.value.agent_id) {
      // Keyed by something else: still processed (per-agent order may not hold), but visible in the log.
      this.log.warn({ topic, partition, offset: m.offset, key, agent_id: r.value.agent_id }, 'message key is not the event agent_id');
    }
    items.push({ event: r.value, timeMs: Date.parse(r.value.time) });
    return null;
  }

  private async sendDlq(entries: DlqEntry[], topic: string, partition: number): Promise<void> {
    const messages: Message[] = entries.map(({ message, reason }) => {
      const value = message.value ?? null;
      const oversized = value !== null && value.length > DLQ_MAX_VALUE_BYTES && value.length > this.opts.maxMessageBytes;
      const headers: Record<string, string> = {
        'x-agentwatch-error': reason,
        'x-agentwatch-source-topic': topic,
        'x-agentwatch-source-partition': String(partition),
        'x-agentwatch-source-offset': message.offset,
      };
      if (oversized) {
        headers['x-agentwatch-truncated'] = 'true';
        headers['x-agentwatch-original-bytes'] = String(value.length);
      }
      return { key: message.key ?? null, value: oversized ? value.subarray(0, DLQ_MAX_VALUE_BYTES) : value, headers };
    });
    await this.requireProducer().send({ topic: this.opts.dlqTopic, acks: -1, messages });
    for (const { message, reason } of entries) this.log.warn({ topic, partition, offset: message.offset, reason }, 'message sent to DLQ');
  }

  private requireProducer(): Producer {
    if (!this.producer) throw new Error('collector is not started');
    return this.producer;
  }
}
