import type { Kafka } from 'kafkajs';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { LagMonitor, type PositionSource } from '../src/consumer-lag.ts';

/** A kafkajs client whose admin answers fetchTopicOffsets with `ends` (or fails, as with the broker away). */
function fakeKafka(ends: () => Array<{ partition: number; low: string; high: string }>): Kafka {
  return {
    admin: () => ({
      connect: async () => undefined,
      disconnect: async () => undefined,
      fetchTopicOffsets: async () => ends().map((e) => ({ ...e, offset: e.high })),
    }),
  } as unknown as Kafka;
}

const source = (positions: ReturnType<PositionSource['positions']>): PositionSource => ({ topic: 'events', positions: () => positions });

describe('LagMonitor', () => {
  it('lag = end offset - next offset; committed lag = end offset - checkpoint offset; checkpoint age from its save', async () => {
    const src = source([
      { partition: 0, nextOffset: 90n, checkpointOffset: 50n, savedAtMs: 1_000 },
      // Nothing processed or checkpointed yet: lag counts from the partition's first offset.
      { partition: 1, nextOffset: -1n, checkpointOffset: -1n, savedAtMs: null },
    ]);
    const monitor = new LagMonitor({
      kafka: fakeKafka(() => [
        { partition: 0, low: '0', high: '100' },
        { partition: 1, low: '10', high: '40' },
      ]),
      source: () => src,
      logger: pino({ level: 'silent' }),
      intervalMs: 60_000,
    });
    expect(monitor.snapshot(11_000).map((p) => p.lag)).toEqual([null, null]);
    monitor.start();
    await new Promise((r) => setTimeout(r, 20));
    await monitor.stop();
    expect(monitor.snapshot(11_000)).toEqual([
      { topic: 'events', partition: 0, endOffset: 100, lag: 10, committedLag: 50, checkpointAgeSeconds: 10 },
      { topic: 'events', partition: 1, endOffset: 40, lag: 30, committedLag: 30, checkpointAgeSeconds: null },
    ]);
  });

  it('an end offset read before the latest messages is never a negative lag', async () => {
    const src = source([{ partition: 0, nextOffset: 120n, checkpointOffset: 120n, savedAtMs: 0 }]);
    const monitor = new LagMonitor({ kafka: fakeKafka(() => [{ partition: 0, low: '0', high: '100' }]), source: () => src, logger: pino({ level: 'silent' }) });
    monitor.start();
    await new Promise((r) => setTimeout(r, 20));
    await monitor.stop();
    expect(monitor.snapshot(0)[0]).toMatchObject({ lag: 0, committedLag: 0 });
  });
});
