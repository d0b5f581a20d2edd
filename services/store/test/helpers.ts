import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Alert, CanonicalEvent } from '@agentwatch/schemas';
import { createStore, type Store, type StoreConfig } from '../src/index.ts';

/**
 * chdb binds one data folder per process and vitest runs each test file in its own forked process, so each file
 * takes one folder (this module is evaluated once per file) and isolates tests by database name.
 */
export const DATA_DIR = mkdtempSync(join(tmpdir(), 'agentwatch-store-test-'));

export const uniqueDb = (): string => `agentwatch_test_${randomBytes(6).toString('hex')}`;

const opened: Store[] = [];

/** A store on DATA_DIR (fresh database unless given), closed by {@link closeAll}. */
export function newStore(extra: Partial<StoreConfig> = {}): Store {
  const store = createStore({ dataDir: DATA_DIR, database: uniqueDb(), ...extra });
  opened.push(store);
  return store;
}

/** A migrated store on a fresh database. */
export async function openStore(extra: Partial<StoreConfig> = {}): Promise<Store> {
  const store = newStore(extra);
  await store.migrate();
  return store;
}

/** For afterAll: closes every store this file opened and removes the data folder. */
export async function closeAll(): Promise<void> {
  for (const s of opened.splice(0)) await s.close();
  rmSync(DATA_DIR, { recursive: true, force: true });
}

export const AGENT = 'spiffe://corp.example/agents/invoice-bot';

export function toolCall(id: string, time: string, extra: Partial<Extract<CanonicalEvent, { kind: 'tool_call' }>> = {}): CanonicalEvent {
  return { kind: 'tool_call', event_id: id, time, agent_id: AGENT, tool: 'erp.invoice.read', action: 'read', outcome: 'success', ...extra };
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
