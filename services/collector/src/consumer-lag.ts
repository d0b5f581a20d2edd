import type { Admin, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { describeKafkaError } from './kafka-errors.ts';

/** A collector as the lag monitor sees it (KafkaCollector.positions and .topic). */
export interface PositionSource {
  readonly topic: string;
  positions(): Array<{ partition: number; nextOffset: bigint; checkpointOffset: bigint; savedAtMs: number | null }>;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  /** The partition's end offset as last read (null until read once). */
  endOffset: number | null;
  /** End offset minus the next offset to process (null until the end offsets were read once; never negative). */
  lag: number | null;
  /** End offset minus the last saved checkpoint's offset (what a restart re-reads). */
  committedLag: number | null;
  /** Seconds since the last checkpoint was saved (null before the first). */
  checkpointAgeSeconds: number | null;
}

/**
 * Reads the events topic's end offsets in the background (every `intervalMs`) and combines them with a collector's
 * positions into per-partition lag, so a metrics scrape never waits for the broker. While the broker is away the
 * last end offsets stay (lag keeps being reported against them) and a failed read is logged at debug only.
 */
export class LagMonitor {
  private admin: Admin | null = null;
  private readonly ends = new Map<number, { low: bigint; high: bigint }>();
  private timer: NodeJS.Timeout | null = null;
  private reading = false;

  constructor(private readonly opts: { kafka: Kafka; source: () => PositionSource | null; logger: Logger; intervalMs?: number }) {}

  start(): void {
    this.timer = setInterval(() => void this.refresh(), this.opts.intervalMs ?? 5_000);
    this.timer.unref();
    void this.refresh();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const admin = this.admin;
    this.admin = null;
    await admin?.disconnect().catch(() => undefined);
  }

  /** Lag and checkpoint age per partition the collector holds now. */
  snapshot(nowMs = Date.now()): PartitionLag[] {
    const source = this.opts.source();
    if (!source) return [];
    return source.positions().map((p) => {
      const end = this.ends.get(p.partition);
      // An end offset read before the latest messages arrived can be behind what was processed: 0, not negative.
      const from = (offset: bigint) => (end ? Math.max(0, Number(end.high - (offset >= 0n ? offset : end.low))) : null);
      return {
        topic: source.topic,
        partition: p.partition,
        endOffset: end ? Number(end.high) : null,
        lag: from(p.nextOffset),
        committedLag: from(p.checkpointOffset),
        checkpointAgeSeconds: p.savedAtMs === null ? null : Math.max(0, (nowMs - p.savedAtMs) / 1000),
      };
    });
  }

  private async refresh(): Promise<void> {
    const source = this.opts.source();
    if (this.reading || !source) return;
    this.reading = true;
    try {
      if (!this.admin) {
        const admin = this.opts.kafka.admin();
        await admin.connect();
        this.admin = admin;
      }
      for (const o of await this.admin.fetchTopicOffsets(source.topic)) this.ends.set(o.partition, { low: BigInt(o.low), high: BigInt(o.high) });
    } catch (err) {
      this.opts.logger.debug({ reason: describeKafkaError(err) }, 'end offsets not read (lag metrics keep the last ones)');
    } finally {
      this.reading = false;
    }
  }
}
