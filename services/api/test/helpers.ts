import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SourceItem } from '@agentwatch/detections';
import type { Alert, CanonicalEvent } from '@agentwatch/schemas';
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

export const AGENT = 'spiffe://corp.example/agents/invoice-bot';

export function toolCall(id: string, time: string, extra: Record<string, unknown> = {}): CanonicalEvent {
  return { kind: 'tool_call', event_id: id, time, agent_id: AGENT, tool: 'erp.invoice.read', action: 'read', outcome: 'success', ...extra } as CanonicalEvent;
}

export function alert(id: string, extra: Partial<Alert> = {}): Alert {
  return {
    alert_id: id,
    rule_id: 'scope.tool_outside_registry',
    rule_version: '1',
    category: 'scope_drift',
    severity: 'high',
    risk_score: 70,
    agent_id: AGENT,
    owner: 'alice@corp.example',
    title: `tool outside registry (${id})`,
    summary: 'The agent called a tool its registry entry does not list.',
    first_seen: '2026-11-02T09:00:00.000Z',
    last_seen: '2026-11-02T09:00:00.000Z',
    count: 1,
    evidence: { event_ids: [`${id}-e1`] },
    tags: ['owasp-nhi:NHI5'],
    status: 'new',
    ...extra,
  };
}

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
