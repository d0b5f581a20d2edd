import { createHash } from 'node:crypto';
import type { Store } from '@agentwatch/store';
import { describe, expect, it } from 'vitest';
import { RegistryVersionLog } from '../src/registry-versions.ts';

type Recorded = Parameters<Store['recordRegistryVersion']>[0];
const sha = (t: string) => createHash('sha256').update(t).digest('hex');

/** A store that keeps what it is asked to record; `fail` makes the next call throw. */
function fakeStore() {
  const recorded: Recorded[] = [];
  const s = { fail: false, recorded };
  const store = {
    async recordRegistryVersion(v: Recorded) {
      if (s.fail) {
        s.fail = false;
        throw new Error('store down');
      }
      recorded.push(v);
    },
  } as unknown as Store;
  return { s, store };
}

describe('RegistryVersionLog', () => {
  it('keeps versions loaded before the store is open and writes them in order once attached, then each new one', async () => {
    let t = Date.parse('2026-12-07T10:00:00Z');
    const errors: object[] = [];
    const log = new RegistryVersionLog('/etc/registry.yaml', { error: (o) => errors.push(o) }, () => t++);
    expect(log.current).toBeNull();
    log.loaded('agents: []\n', 0);
    log.loaded('agents: [a]\n', 1);
    const { s, store } = fakeStore();
    await log.attach(store);
    expect(s.recorded.map((v) => [v.sha256, v.agentCount, v.source, v.content, v.loadedAtMs])).toEqual([
      [sha('agents: []\n'), 0, '/etc/registry.yaml', 'agents: []\n', Date.parse('2026-12-07T10:00:00Z')],
      [sha('agents: [a]\n'), 1, '/etc/registry.yaml', 'agents: [a]\n', Date.parse('2026-12-07T10:00:00.001Z')],
    ]);
    expect(log.current).toEqual({ sha256: sha('agents: [a]\n'), loaded_at: '2026-12-07T10:00:00.001Z', agent_count: 1, source: '/etc/registry.yaml' });
    log.loaded('agents: [b]\n', 1);
    await log.flush();
    expect(s.recorded).toHaveLength(3);
    expect(errors).toEqual([]);
  });

  it('a failed write is logged, not thrown, and later versions are still written', async () => {
    const errors: object[] = [];
    const log = new RegistryVersionLog('/r.yaml', { error: (o) => errors.push(o) });
    const { s, store } = fakeStore();
    await log.attach(store);
    s.fail = true;
    log.loaded('one', 0);
    log.loaded('two', 0);
    await log.flush();
    expect(s.recorded.map((v) => v.content)).toEqual(['two']);
    expect(errors).toEqual([expect.objectContaining({ sha256: sha('one') })]);
  });
});
