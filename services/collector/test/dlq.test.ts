// dlq.ts: what a DLQ message carries for hostile records: a reason cut to a bounded length, and the original size
// of a value its caller already cut (POST /v1/events and /v1/traces keep at most 64 KiB of a rejected record).
import { describe, expect, it } from 'vitest';
import { DLQ_MAX_REASON_CHARS, DLQ_MAX_VALUE_BYTES, dlqMessage } from '../src/dlq.ts';

describe('dlqMessage', () => {
  it('cuts a huge reason (a validation message may quote the input)', () => {
    const m = dlqMessage({ value: 'x', reason: `bad: ${'r'.repeat(1_000_000)}`, origin: { source: 'http_events' } });
    const reason = String(m.headers?.['x-agentwatch-error']);
    expect(reason.length).toBe(DLQ_MAX_REASON_CHARS);
    expect(reason.endsWith('...')).toBe(true);
  });

  it('a value cut by its caller carries the size it had as received', () => {
    const m = dlqMessage({ value: 'a'.repeat(100), reason: 'r', origin: { source: 'http_events' }, originalBytes: 5_000_000 });
    expect(m.headers).toMatchObject({ 'x-agentwatch-truncated': 'true', 'x-agentwatch-original-bytes': '5000000' });
    const whole = dlqMessage({ value: 'a'.repeat(100), reason: 'r', origin: { source: 'http_events' }, originalBytes: 100 });
    expect(whole.headers?.['x-agentwatch-truncated']).toBeUndefined();
  });

  it('a value over the DLQ cap is still cut here, with its size', () => {
    const m = dlqMessage({ value: Buffer.alloc(DLQ_MAX_VALUE_BYTES * 2), reason: 'r', origin: { topic: 't', partition: 0, offset: '1' }, truncateAbove: 10 });
    expect((m.value as Buffer).length).toBe(DLQ_MAX_VALUE_BYTES);
    expect(m.headers?.['x-agentwatch-original-bytes']).toBe(String(DLQ_MAX_VALUE_BYTES * 2));
  });
});
