import { gunzipSync, gzipSync } from 'node:zlib';
import type { Kafka, Producer, ProducerRecord } from 'kafkajs';
import type { Logger } from 'pino';
import { CompactedTopicView, ensureTopic } from './compacted-topic.ts';
import type { PartitionProgress } from './group-horizon.ts';
import { serialSend } from './serial-send.ts';

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

/** A partition's progress as its owner reports it to the group (every collector's GroupHorizon reads these). */
export interface ReportedProgress extends PartitionProgress {
  groupId: string;
  topic: string;
}

/** Where partition checkpoints live, and how the collectors of a group tell each other how far each partition got. */
export interface PartitionCheckpointStore {
  load(groupId: string, topic: string, partition: number): Promise<PartitionCheckpoint | null>;
  /** Saves a checkpoint; `progress`, when given, is reported in the same write. */
  save(cp: PartitionCheckpoint, progress?: ReportedProgress): Promise<void>;
  reportProgress(progress: ReportedProgress): Promise<void>;
  /** Every report, from any collector (this one's own included), as it arrives. */
  onProgress(listener: (progress: ReportedProgress) => void): void;
}

const keyOf = (groupId: string, topic: string, partition: number) => `${groupId}/${topic}/${partition}`;
/** Topic names cannot hold `#`, so a progress key never equals a checkpoint key. */
const PROGRESS_SUFFIX = '#progress';

type StoredValue = { checkpoint: Buffer } | { progress: ReportedProgress };

/**
 * Partition checkpoints in a compacted Kafka topic (key `group/topic/partition`, value gzip'd JSON), so whichever
 * collector is assigned a partition, on whatever machine and whatever store, finds its last state. The topic keeps
 * the latest checkpoint per partition; loading waits until the view has read everything written before. Checkpoints
 * are kept compressed and only decoded by the collector that loads one.
 *
 * The same topic carries each partition's progress (key `group/topic/partition#progress`, small JSON): the offset
 * processed (facts written) and the event time reached there, which every collector's GroupHorizon reads for the
 * group's fact horizon and pacing; a dead collector's last report stays as the offset fact it was.
 */
export class KafkaCheckpointStore implements PartitionCheckpointStore {
  private readonly view: CompactedTopicView<StoredValue>;
  private producer: Producer | null = null;
  private send: ((record: ProducerRecord) => Promise<unknown>) | null = null;
  private readonly listeners: Array<(progress: ReportedProgress) => void> = [];

  constructor(private readonly opts: { kafka: Kafka; logger: Logger; topic?: string }) {
    this.view = new CompactedTopicView<StoredValue>({
      kafka: opts.kafka,
      topic: this.topic,
      logger: opts.logger,
      decode: (v, key) => (key.endsWith(PROGRESS_SUFFIX) ? { progress: JSON.parse(v.toString('utf8')) as ReportedProgress } : { checkpoint: v }),
      onValue: (_key, v) => {
        if ('progress' in v) for (const l of this.listeners) l(v.progress);
      },
      groupPrefix: 'agentwatch-checkpoints-view',
    });
  }

  onProgress(listener: (progress: ReportedProgress) => void): void {
    this.listeners.push(listener);
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
    this.send = serialSend(this.producer);
    await this.view.start();
  }

  async load(groupId: string, topic: string, partition: number): Promise<PartitionCheckpoint | null> {
    await this.view.waitCaughtUp();
    const stored = this.view.get(keyOf(groupId, topic, partition));
    return stored && 'checkpoint' in stored ? (JSON.parse(gunzipSync(stored.checkpoint).toString('utf8')) as PartitionCheckpoint) : null;
  }

  async save(cp: PartitionCheckpoint, progress?: ReportedProgress): Promise<void> {
    const key = keyOf(cp.groupId, cp.topic, cp.partition);
    const value = gzipSync(JSON.stringify(cp));
    if (value.length > MAX_CHECKPOINT_BYTES) {
      throw new Error(`checkpoint of ${key} is ${value.length} bytes compressed, above the ${MAX_CHECKPOINT_BYTES}-byte limit: use more partitions`);
    }
    const messages: Array<{ key: string; value: Buffer }> = [{ key, value }];
    if (progress) messages.push(this.progressMessage(progress));
    await this.requireSend()({ topic: this.topic, acks: -1, messages });
    this.view.setLocal(key, { checkpoint: value });
  }

  async reportProgress(progress: ReportedProgress): Promise<void> {
    await this.requireSend()({ topic: this.topic, acks: -1, messages: [this.progressMessage(progress)] });
  }

  private progressMessage(p: ReportedProgress): { key: string; value: Buffer } {
    return { key: keyOf(p.groupId, p.topic, p.partition) + PROGRESS_SUFFIX, value: Buffer.from(JSON.stringify(p)) };
  }

  private requireSend(): (record: ProducerRecord) => Promise<unknown> {
    if (!this.send) throw new Error('checkpoint store is not started');
    return this.send;
  }

  async stop(): Promise<void> {
    await this.view.stop();
    const p = this.producer;
    this.producer = null;
    if (p) await p.disconnect();
  }
}
