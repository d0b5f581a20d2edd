import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { KafkaConnectionState } from '../src/kafka-connection-state.ts';

function capture(): { lines: () => Array<Record<string, unknown>>; logger: pino.Logger } {
  const out: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      out.push(String(chunk));
      cb();
    },
  });
  return {
    lines: () =>
      out
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    logger: pino({ level: 'debug' }, stream),
  };
}

const refused = Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092'), { name: 'KafkaJSConnectionError' });

describe('KafkaConnectionState', () => {
  it('logs one line per change, none for the same condition again, and no stack', () => {
    const { lines, logger } = capture();
    const state = new KafkaConnectionState(logger);
    expect(state.ready).toBe(false);
    for (let i = 0; i < 20; i++) state.waiting(refused, 500);
    expect(lines()).toHaveLength(1);
    expect(lines()[0]).toMatchObject({ kafka: 'waiting', reason: 'KafkaJSConnectionError: Connection error: connect ECONNREFUSED 127.0.0.1:9092' });
    expect(JSON.stringify(lines())).not.toContain('stack');
    expect(state.reason).toContain('ECONNREFUSED');
    state.connected('group g joined');
    state.connected('group g joined');
    expect(state.ready).toBe(true);
    expect(lines()).toHaveLength(2);
  });

  it('stopping is final: what clients report while closing is not logged', () => {
    const { lines, logger } = capture();
    const state = new KafkaConnectionState(logger);
    state.stopping();
    state.waiting(refused);
    state.connected('late join');
    expect(state.phase).toBe('stopping');
    expect(state.ready).toBe(false);
    expect(lines()).toHaveLength(1);
  });
});
