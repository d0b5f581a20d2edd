import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, ITopicConfig, Kafka } from 'kafkajs';
import type { Logger } from 'pino';

/** Creates `topic` with the given configuration unless it exists (its existing configuration is left alone). */
export async function ensureTopic(admin: Admin, topic: string, config: Array<{ name: string; value: string }>, numPartitions = 1): Promise<void> {
  const existing = await admin.listTopics();
  if (existing.includes(topic)) return;
  const spec: ITopicConfig = { topic, numPartitions, configEntries: config };
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [spec] });
  } catch (e) {
    // Another collector created it between listTopics and createTopics.
    if (!/already exists/i.test((e as Error).message)) throw e;
  }
}

export interface CompactedTopicViewOptions<V> {
  kafka: Kafka;
  topic: string;
  logger: Logger;
  /** Decodes a message value; null (a tombstone) removes the key. Throwing skips the message with a warning. */
  decode: (value: Buffer, key: string) => V;
  /** Called for every key set or replaced (also for this process's own writes when they come back). */
  onValue?: (key: string, value: V) => void;
  /** Consumer group prefix; every view reads the whole topic under a group of its own. */
  groupPrefix?: string;
}

/**
 * The latest value per key of a compacted topic, kept in memory and followed as it changes: how every collector
 * sees the checkpoints and token facts written by all of them. Each view reads the whole topic from the start under
 * a consumer group of its own (kafkajs has no group-less assign), never committing. {@link waitCaughtUp} waits until
 * everything written before the call has been read, so a reader also sees its own and others' earlier writes.
 */
export class CompactedTopicView<V> {
  private readonly values = new Map<string, V>();
  /** Next offset to read, per partition. */
  private readonly next = new Map<number, bigint>();
  private consumer: Consumer | null = null;
  private admin: Admin | null = null;
  private readonly log: Logger;

  constructor(private readonly opts: CompactedTopicViewOptions<V>) {
    this.log = opts.logger.child({ view: opts.topic });
  }

  get(key: string): V | undefined {
    return this.values.get(key);
  }

  /** Records a value this process just wrote, before it comes back through the topic (read-your-writes). */
  setLocal(key: string, value: V): void {
    this.values.set(key, value);
  }

  get size(): number {
    return this.values.size;
  }

  /** Next offset this view will read on a partition of its topic (everything before it has been read). */
  readThrough(partition: number): bigint {
    return this.next.get(partition) ?? 0n;
  }

  async start(): Promise<void> {
    const { kafka, topic } = this.opts;
    this.admin = kafka.admin();
    await this.admin.connect();
    const consumer = kafka.consumer({ groupId: `${this.opts.groupPrefix ?? 'agentwatch-view'}-${randomUUID()}`, allowAutoTopicCreation: false });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const key = m.key?.toString('utf8');
          if (key !== undefined) {
            if (m.value === null) this.values.delete(key);
            else {
              try {
                const v = this.opts.decode(m.value, key);
                this.values.set(key, v);
                this.opts.onValue?.(key, v);
              } catch (err) {
                this.log.warn({ err, partition: batch.partition, offset: m.offset }, 'unreadable message skipped');
              }
            }
          }
          this.next.set(batch.partition, BigInt(m.offset) + 1n);
        }
      },
    });
  }

  /** Resolves once every message written to the topic before this call has been read (or throws after `timeoutMs`). */
  async waitCaughtUp(timeoutMs = 60_000): Promise<void> {
    const admin = this.admin;
    if (!admin) throw new Error(`view of ${this.opts.topic} is not started`);
    const ends = await admin.fetchTopicOffsets(this.opts.topic);
    const until = Date.now() + timeoutMs;
    for (;;) {
      const behind = ends.filter((e) => BigInt(e.high) > BigInt(e.low) && (this.next.get(e.partition) ?? BigInt(e.low)) < BigInt(e.high));
      if (behind.length === 0) return;
      if (Date.now() > until)
        throw new Error(`timed out reading ${this.opts.topic} to its end (partitions ${behind.map((b) => b.partition).join(', ')} behind)`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = null;
    if (consumer) await consumer.disconnect();
    const admin = this.admin;
    this.admin = null;
    if (admin) await admin.disconnect();
  }
}
