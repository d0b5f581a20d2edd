import { EventEmitter } from 'node:events';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { EXIT_CHECKPOINT_NOT_SAVED, EXIT_STOPPED, ShutdownSignals, withShutdownDeadline } from '../src/shutdown-deadline.ts';

const log = pino({ level: 'silent' });
const never = () => new Promise<number>(() => undefined);

describe('withShutdownDeadline', () => {
  it("returns the steps' own code when they finish in time", async () => {
    expect(await withShutdownDeadline(async () => EXIT_CHECKPOINT_NOT_SAVED, { deadlineMs: 10_000, checkpointSaved: () => true, log })).toEqual({
      code: EXIT_CHECKPOINT_NOT_SAVED,
      timedOut: false,
    });
    expect(await withShutdownDeadline(async () => EXIT_STOPPED, { deadlineMs: 10_000, checkpointSaved: () => false, log })).toEqual({
      code: EXIT_STOPPED,
      timedOut: false,
    });
  });

  it('gives up on steps that hang (a broker that is gone), saying whether the last checkpoint was saved', async () => {
    expect(await withShutdownDeadline(never, { deadlineMs: 20, checkpointSaved: () => false, log })).toEqual({
      code: EXIT_CHECKPOINT_NOT_SAVED,
      timedOut: true,
    });
    expect(await withShutdownDeadline(never, { deadlineMs: 20, checkpointSaved: () => true, log })).toEqual({ code: EXIT_STOPPED, timedOut: true });
  });

  it('a failing step: the code still says whether the checkpoint was saved', async () => {
    const fail = async (): Promise<number> => {
      throw new Error('store closed');
    };
    expect(await withShutdownDeadline(fail, { deadlineMs: 10_000, checkpointSaved: () => false, log })).toEqual({
      code: EXIT_CHECKPOINT_NOT_SAVED,
      timedOut: false,
    });
  });

  it('uses distinct codes', () => {
    expect(EXIT_STOPPED).toBe(0);
    expect(EXIT_CHECKPOINT_NOT_SAVED).not.toBe(0);
  });
});

describe('ShutdownSignals', () => {
  it('the first signal asks for a shutdown; a second one exits at once with 128 + its number', async () => {
    const source = new EventEmitter();
    const exits: number[] = [];
    const signals = new ShutdownSignals(log, (code) => exits.push(code), source);
    source.emit('SIGTERM', 'SIGTERM');
    expect(await signals.requested).toBe('SIGTERM');
    expect(exits).toEqual([]);
    source.emit('SIGINT', 'SIGINT');
    expect(exits).toEqual([130]);
    source.emit('SIGTERM', 'SIGTERM');
    expect(exits).toEqual([130, 143]);
  });
});
