import { afterAll, describe, expect, it } from 'vitest';
import { MAX_REJECTED_RAW_CHARS } from '../src/index.ts';
import { closeAll, openStore } from './helpers.ts';

afterAll(closeAll);

describe('rejected_records (the in-process DLQ)', () => {
  it('keeps each reject with its reason and raw record; a retried batch is stored once', async () => {
    const store = await openStore();
    const records = [
      {
        source: 'otlp_http',
        format: 'otlp',
        reason: 'agent: no agent id',
        path: 'resourceSpans[0].scopeSpans[0].spans[1]',
        raw: '{"name":"x"}',
        receivedAtMs: 1_000,
      },
      { source: 'otlp_http', format: 'otlp', reason: 'start time: not a time', raw: '{}', receivedAtMs: 1_000 },
    ];
    await store.insertRejectedRecords(records);
    await store.insertRejectedRecords(records.map((r) => ({ ...r, receivedAtMs: 2_000 }))); // the client retried
    await store.insertRejectedRecords([
      { source: 'topic:raw.vault', format: 'vault', reason: 'no accessor', raw: 'x'.repeat(MAX_REJECTED_RAW_CHARS + 10), receivedAtMs: 3_000 },
    ]);
    const otlp = await store.queryRejectedRecords({ source: 'otlp_http' });
    expect(otlp).toHaveLength(2);
    expect(otlp.map((r) => r.reason).sort()).toEqual(['agent: no agent id', 'start time: not a time']);
    expect(otlp.find((r) => r.path !== '')).toMatchObject({ format: 'otlp', raw: '{"name":"x"}', rawBytes: 12, receivedAtMs: 1_000 });
    const [vault] = await store.queryRejectedRecords({ source: 'topic:raw.vault' });
    expect(vault?.raw).toHaveLength(MAX_REJECTED_RAW_CHARS);
    expect(vault?.rawBytes).toBe(MAX_REJECTED_RAW_CHARS + 10);
    expect(await store.queryRejectedRecords()).toHaveLength(3);
  });
});
