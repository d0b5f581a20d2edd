import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CompiledRegistry, RegistryProblem } from '@agentwatch/detections';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/temp-dir.ts';
import { RegistryWatcher } from '../src/registry-watcher.ts';

const agentYaml = (id: string) => `agents:\n  - { id: ${id}, name: N, owner: o, status: active, purpose: p, registered_at: 2026-01-10 }\n`;

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error('timed out waiting for the watcher');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('registry hot reload', () => {
  it('swaps in a valid change, refuses an invalid one keeping the previous registry, follows rename-saves', async () => {
    const dir = tempDir('aw-watch-');
    const file = join(dir, 'registry.yaml');
    writeFileSync(file, agentYaml('first'));
    const loaded: CompiledRegistry[] = [];
    const rejected: RegistryProblem[][] = [];
    const w = new RegistryWatcher(file, { onLoaded: (r) => loaded.push(r), onRejected: (p) => rejected.push(p) }, 20).start();
    try {
      expect(w.registry.agent('first')).toBeDefined();

      writeFileSync(file, agentYaml('second'));
      await until(() => loaded.length === 1);
      expect(w.registry.agent('second')).toBeDefined();

      writeFileSync(file, 'agents:\n  - { id: third, status: nope }\n');
      await until(() => rejected.length === 1);
      expect(w.registry.agent('second')).toBeDefined();
      expect(rejected[0]?.map((p) => p.path)).toEqual(expect.arrayContaining(['agents[0].status', 'agents[0].name']));

      writeFileSync(join(dir, 'tmp.yaml'), agentYaml('fourth'));
      renameSync(join(dir, 'tmp.yaml'), file);
      await until(() => loaded.length === 2);
      expect(w.registry.agent('fourth')).toBeDefined();
    } finally {
      w.stop();
    }
  });

  it('refuses to start on an invalid file', () => {
    const dir = tempDir('aw-watch-');
    const file = join(dir, 'registry.yaml');
    writeFileSync(file, 'agents: nope\n');
    expect(() => new RegistryWatcher(file, { onLoaded: () => {}, onRejected: () => {} })).toThrow(/agents: /);
  });
});
