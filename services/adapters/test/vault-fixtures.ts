import { readFileSync } from 'node:fs';
import type { CanonicalEvent } from '@agentwatch/schemas';
import type { AdapterResult, RecordAdapter } from '../src/types.ts';

/** The real sample (Elastic License 2.0, see shared/samples/README.md §2), read in place. */
export const SAMPLE_URL = new URL('../../../../shared/samples/vault-audit/elastic_hashicorp_vault_test-audit.log', import.meta.url);

export function sampleLines(): Record<string, unknown>[] {
  return readFileSync(SAMPLE_URL, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Maps records in order, then flushes; returns everything, plus the per-record results. */
export function runAdapter(adapter: RecordAdapter, records: readonly unknown[]): { all: AdapterResult; each: AdapterResult[]; flushed: AdapterResult } {
  const each = records.map((r) => adapter.map(r));
  const flushed = adapter.flush();
  const all: AdapterResult = { events: [], rejects: [], skipped: 0 };
  for (const r of [...each, flushed]) {
    all.events.push(...r.events);
    all.rejects.push(...r.rejects);
    all.skipped += r.skipped;
  }
  return { all, each, flushed };
}

export const byKind = <K extends CanonicalEvent['kind']>(events: readonly CanonicalEvent[], kind: K): Extract<CanonicalEvent, { kind: K }>[] =>
  events.filter((e): e is Extract<CanonicalEvent, { kind: K }> => e.kind === kind);

const hmac = (label: string): string => `hmac-sha256:${Buffer.from(label).toString('hex').padEnd(64, '0').slice(0, 64)}`;

/** An opaque, HMAC-shaped accessor / client token for hand-made entries (the real log never shows plain values). */
export const accessorOf = (name: string): string => hmac(`acc-${name}`);
export const clientTokenOf = (name: string): string => hmac(`tok-${name}`);

export interface TokenSpec {
  /** Short name used to derive the HMAC-shaped accessor and client token. */
  name: string;
  roleName: string;
  policies?: string[];
  ttl?: number;
}

/** The `auth` block Vault writes for a token (same shape in `auth` and `response.auth`, audit/types.go). */
export function authBlock(t: TokenSpec, issueTime = '2026-11-02T09:00:00Z'): Record<string, unknown> {
  const policies = t.policies ?? ['default', `app-${t.roleName}`];
  return {
    client_token: clientTokenOf(t.name),
    accessor: accessorOf(t.name),
    display_name: 'approle',
    policies,
    token_policies: policies,
    metadata: { role_name: t.roleName },
    entity_id: `entity-${t.roleName}`,
    token_type: 'service',
    token_ttl: t.ttl ?? 3600,
    token_issue_time: issueTime,
  };
}

/** An AppRole login response entry issuing token `t` (the request side carries no caller token). */
export function approleLogin(id: string, time: string, t: TokenSpec, headers?: Record<string, string[]>): Record<string, unknown> {
  return {
    time,
    type: 'response',
    auth: { policy_results: { allowed: true }, token_type: 'default' },
    request: {
      id,
      operation: 'update',
      mount_type: 'approle',
      mount_accessor: 'auth_approle_0a1b2c3d',
      namespace: { id: 'root' },
      path: 'auth/approle/login',
      data: { role_id: hmac(`role-${t.roleName}`), secret_id: hmac(`secret-${t.roleName}`) },
      remote_address: '10.20.0.7',
      remote_port: 51234,
      ...(headers ? { headers } : {}),
    },
    response: { mount_type: 'approle', mount_accessor: 'auth_approle_0a1b2c3d', auth: authBlock(t) },
  };
}

export interface CallSpec {
  id: string;
  time: string;
  token: TokenSpec;
  operation?: string;
  path: string;
  mountType?: string;
  error?: string;
  type?: 'request' | 'response';
  data?: Record<string, unknown>;
  headers?: Record<string, string[]>;
}

/** A request or response entry for a call made with token `c.token`. */
export function call(c: CallSpec): Record<string, unknown> {
  const auth = authBlock(c.token);
  const request = {
    id: c.id,
    operation: c.operation ?? 'read',
    mount_type: c.mountType ?? 'kv',
    client_token: auth['client_token'],
    client_token_accessor: auth['accessor'],
    namespace: { id: 'root' },
    path: c.path,
    ...(c.data ? { data: c.data } : {}),
    ...(c.headers ? { headers: c.headers } : {}),
    remote_address: '10.20.0.7',
  };
  const type = c.type ?? 'response';
  return {
    time: c.time,
    type,
    auth,
    request,
    ...(type === 'response' ? { response: { mount_type: c.mountType ?? 'kv', data: {} } } : {}),
    ...(c.error ? { error: c.error } : {}),
  };
}
