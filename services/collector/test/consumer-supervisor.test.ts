import { EventEmitter } from 'node:events';
import type { Consumer } from 'kafkajs';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { superviseConsumer } from '../src/consumer-supervisor.ts';

/** A consumer as far as supervision sees it: crash events, connect. */
function fakeConsumer() {
  const emitter = new EventEmitter();
  const connect = vi.fn(async () => undefined);
  const consumer = { events: { CRASH: 'consumer.crash' }, on: (ev: string, fn: (e: unknown) => void) => emitter.on(ev, fn), connect } as unknown as Consumer;
  const crash = (error: Error, restart: boolean) => emitter.emit('consumer.crash', { payload: { error, groupId: 'g', restart } });
  return { consumer, connect, crash };
}

const coordinatorNotFound = Object.assign(new Error('Failed to find group coordinator'), { name: 'KafkaJSGroupCoordinatorNotFound', retriable: false });

describe('superviseConsumer', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('restarts a run loop kafkajs would not restart when the crash is a broker condition', async () => {
    const { consumer, connect, crash } = fakeConsumer();
    const run = vi.fn(async () => undefined);
    const onFatal = vi.fn();
    superviseConsumer(consumer, { log: pino({ level: 'silent' }), what: 'consumer', stopping: () => false, run, onFatal });
    crash(coordinatorNotFound, false);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(connect).toHaveBeenCalledTimes(1);
    expect(run).toHaveBeenCalledTimes(1);
    expect(onFatal).not.toHaveBeenCalled();
  });

  it('leaves restarts kafkajs does to kafkajs, and restarts nothing while stopping', async () => {
    const { consumer, connect, crash } = fakeConsumer();
    const run = vi.fn(async () => undefined);
    let stopping = false;
    superviseConsumer(consumer, { log: pino({ level: 'silent' }), what: 'consumer', stopping: () => stopping, run, onFatal: vi.fn() });
    crash(Object.assign(new Error('connect ECONNREFUSED'), { name: 'KafkaJSConnectionError', retriable: true }), true);
    stopping = true;
    crash(coordinatorNotFound, false);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(connect).not.toHaveBeenCalled();
    expect(run).not.toHaveBeenCalled();
  });

  it('a crash that needs a person is fatal', async () => {
    const { consumer, connect, crash } = fakeConsumer();
    const onFatal = vi.fn();
    superviseConsumer(consumer, { log: pino({ level: 'silent' }), what: 'consumer', stopping: () => false, run: vi.fn(), onFatal });
    const lz4 = Object.assign(new Error('LZ4 compression not implemented'), { name: 'KafkaJSNotImplemented', retriable: false });
    crash(lz4, false);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(onFatal).toHaveBeenCalledWith(lz4);
    expect(connect).not.toHaveBeenCalled();
  });
});
