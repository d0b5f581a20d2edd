import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseStoreFaultMode, STORE_FAULTS_ENV, storeFaultsFromEnv } from '../src/index.ts';
import { AGENT, closeAll, DATA_DIR, openStore, toolCall } from './helpers.ts';

afterAll(closeAll);

describe('test-only store fault injection (AGENTWATCH_TEST_STORE_FAULTS)', () => {
  it('wraps nothing without the variable', () => {
    expect(storeFaultsFromEnv({})).toBeUndefined();
  });

  it('reads the mode from the first word of the control file', () => {
    expect(parseStoreFaultMode('fail-writes\n')).toBe('fail-writes');
    expect(parseStoreFaultMode(' lose-acks for 3s')).toBe('lose-acks');
    expect(parseStoreFaultMode('unreachable')).toBe('unreachable');
    expect(parseStoreFaultMode('none')).toBe('none');
    expect(parseStoreFaultMode('')).toBe('none');
  });

  it('fails writes, loses answers, refuses every call, then lets calls through again, as the control file says', async () => {
    const control = join(DATA_DIR, 'faults');
    const faults = storeFaultsFromEnv({ [STORE_FAULTS_ENV]: control });
    if (!faults) throw new Error('expected a wrapper');
    // No control file yet: calls go through.
    const store = await openStore({ wrapClient: faults.wrapClient });
    const t = '2026-01-01T00:00:00.000Z';

    writeFileSync(control, 'fail-writes\n');
    await expect(store.insertEvents([toolCall('f1', t, { agent_id: AGENT })])).rejects.toThrow(/INSERT refused/);
    writeFileSync(control, 'none\n');
    expect(await store.countEvents()).toBe(0);

    writeFileSync(control, 'lose-acks\n');
    await expect(store.insertEvents([toolCall('f2', t, { agent_id: AGENT })])).rejects.toThrow(/answer lost/);
    writeFileSync(control, 'none\n');
    // Written although the caller was told it failed.
    expect(await store.countEvents()).toBe(1);

    writeFileSync(control, 'unreachable\n');
    await expect(store.countEvents()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(store.insertEvents([toolCall('f3', t, { agent_id: AGENT })])).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    writeFileSync(control, '');
    expect(await store.countEvents()).toBe(1);
    expect(faults.counts).toEqual({ failedWrites: 1, lostAcks: 1, refusedCalls: 2 });
  });
});
