import { gunzipSync, gzipSync } from 'node:zlib';
import type { Kafka, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { CompactedTopicView, ensureTopic } from './compacted-topic.ts';

export const DEFAULT_CHECKPOINTS_TOPIC = 'agentwatch.checkpoints';
/** Largest compressed checkpoint accepted by the topic (topic-level max.message.bytes). */
const MAX_CHECKPOINT_BYTES = 64 * 1024 * 1024;

/** One partition's detection state and the offset it reflects: resume there with this state. */
export interface PartitionCheckpoint {
  groupId: string;
  topic: string;
  partition: number;
  /** Next offset to read (every message before it is in the snapshot). */
  offset: string;
  /** The partition engine's snapshot as JSON (LivePipeline.checkpoint()). */
  snapshot: string;
  createdAtMs: number;
}

/** Where partition checkpoints live. */
export interface PartitionCheckpointStore {
  load(groupId: string, topic: string, partition: number): Promise<PartitionCheckpoint | null>;
  save(cp: PartitionCheckpoint): Promise<void>;
}

const keyOf = (groupId: string, topic: string, partition: number) => `${groupId}/${topic}/${partition}`;

/**
 * Partition checkpoints in a compacted Kafka topic (key `group/topic/partition`, value gzip'd JSON), so whichever
 * collector is assigned a partition, on whatever machine and whatever store, finds its last state. The topic keeps
 * the latest checkpoint per partition; loading waits until the view has read everything written before.
 */
export class KafkaCheckpointStore implements PartitionCheckpointStore {
  private readonly view: CompactedTopicView<PartitionCheckpoint>;
  private producer: Producer | null = null;

  constructor(private readonly opts: { kafka: Kafka; logger: Logger; topic?: string }) {
    this.view = new CompactedTopicView({
      kafka: opts.kafka,
      topic: this.topic,
      logger: opts.logger,
      decode: (v) => JSON.parse(gunzipSync(v).toString('utf8')) as PartitionCheckpoint,
      groupPrefix: 'agentwatch-checkpoints-view',
    });
  }

  get topic(): string {
    return this.opts.topic ?? DEFAULT_CHECKPOINTS_TOPIC;
  }

  async start(): Promise<void> {
    const admin = this.opts.kafka.admin();
    await admin.connect();
    try {
      await ensureTopic(admin, this.topic, [
        { name: 'cleanup.policy', value: 'compact' },
        { name: 'max.message.bytes', value: String(MAX_CHECKPOINT_BYTES) },
        { name: 'min.compaction.lag.ms', value: '60000' },
      ]);
    } finally {
      await admin.disconnect();
    }
    this.producer = this.opts.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await this.producer.connect();
    await this.view.start();
  }

  async load(groupId: string, topic: string, partition: number): Promise<PartitionCheckpoint | null> {
    await this.view.waitCaughtUp();
    return this.view.get(keyOf(groupId, topic, partition)) ?? null;
  }

  async save(cp: PartitionCheckpoint): Promise<void> {
    if (!this.producer) throw new Error('checkpoint store is not started');
    const key = keyOf(cp.groupId, cp.topic, cp.partition);
    const value = gzipSync(JSON.stringify(cp));
    if (value.length > MAX_CHECKPOINT_BYTES) {
      throw new Error(`checkpoint of ${key} is ${value.length} bytes compressed, above the ${MAX_CHECKPOINT_BYTES}-byte limit: use more partitions`);
    }
    await this.producer.send({ topic: this.topic, acks: -1, messages: [{ key, value }] });
    this.view.setLocal(key, cp);
  }

  async stop(): Promise<void> {
    await this.view.stop();
    const p = this.producer;
    this.producer = null;
    if (p) await p.disconnect();
  }
}
