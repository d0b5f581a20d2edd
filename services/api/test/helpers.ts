import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SourceItem } from '@agentwatch/detections';
import { createStore, type Store } from '@agentwatch/store';

/** chdb binds one data folder per process; vitest forks per file, so each file takes one folder (evaluated once per file). */
export const DATA_DIR = mkdtempSync(join(tmpdir(), 'agentwatch-api-test-'));
const opened: Store[] = [];

export async function openStore(): Promise<Store> {
  const store = createStore({ dataDir: DATA_DIR, database: `agentwatch_api_test_${randomBytes(6).toString('hex')}` });
  opened.push(store);
  await store.migrate();
  return store;
}

export async function closeAll(): Promise<void> {
  for (const s of opened.splice(0)) await s.close();
  rmSync(DATA_DIR, { recursive: true, force: true });
}

// Shared event and alert builders: the store's test helpers.
export { AGENT, alert, toolCall } from '../../store/test/helpers.ts';

/** An ingest stub that records what it was given and accepts everything. */
export function recordingIngest(): {
  items: SourceItem[];
  ingest: (items: SourceItem[]) => Promise<{ accepted: number; rejected: Array<{ line: number; error: string }> }>;
} {
  const items: SourceItem[] = [];
  return {
    items,
    ingest: async (batch) => {
      items.push(...batch);
      return { accepted: batch.length, rejected: [] };
    },
  };
}
