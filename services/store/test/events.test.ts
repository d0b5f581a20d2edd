import type { CanonicalEvent } from '@agentwatch/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureRawInsert, renderEventRows, type Store, syntheticEvents } from '../src/index.ts';
import { AGENT, closeAll, openStore, toolCall } from './helpers.ts';

afterAll(closeAll);

describe('events', () => {
  let store: Store;
  beforeAll(async () => {
    store = await openStore();
  });

  const batch: CanonicalEvent[] = [
    {
      kind: 'token_issued',
      event_id: 'e-1',
      time: '2026-11-02T09:00:00.000Z',
      agent_id: AGENT,
      token_id: 'tok-91',
      issuer: 'https://idp.corp.example',
      scopes: ['erp.read'],
      expires_at: '2026-11-02T09:15:00.000Z',
      task_id: 'task-7',
      on_behalf_of: 'alice@corp.example',
    },
    toolCall('e-2', '2026-11-02T09:00:03.120Z', {
      resource: 'erp://invoices/2026-118',
      token_id: 'tok-91',
      bytes_out: 5120,
      session_id: 's-44',
      task_id: 'task-7',
      attributes: { 'gen_ai.system': 'openai' },
      delegation_chain: ['user:alice@corp.example', AGENT],
      approval: { by: 'bob@corp.example' },
    }),
    {
      kind: 'policy_decision',
      event_id: 'e-3',
      time: '2026-11-02T10:00:00+02:00',
      agent_id: AGENT,
      decision: 'deny',
      policy: 'erp.write',
      tool: 'erp.invoice.write',
    },
    { kind: 'token_revoked', event_id: 'e-4', time: '2026-11-02T09:05:00.000Z', agent_id: AGENT, token_id: 'tok-91', reason: 'task done' },
  ];

  it('stores each event once however often the batch is inserted', async () => {
    await store.insertEvents(batch);
    await store.insertEvents(batch);
    expect(await store.countEvents()).toBe(4);
    // the same events cut into different batches: insert dedup does not apply, FINAL reads still collapse them
    await store.insertEvents(batch.slice(1, 3));
    await store.insertEvents([...batch].reverse());
    expect(await store.countEvents()).toBe(4);
    const raw = await store.client.query({ query: `SELECT count() AS n FROM ${store.database}.events`, format: 'JSONEachRow' });
    expect(Number((await raw.json<{ n: string }>())[0]?.n)).toBeGreaterThanOrEqual(4);
  });

  it('honours an explicit dedup token and never lets it leak into a later insert', async () => {
    const s = await openStore();
    const a = [toolCall('a-1', '2026-11-02T09:00:00.000Z'), toolCall('a-2', '2026-11-02T09:01:00.000Z')];
    const b = [toolCall('b-1', '2026-11-02T09:02:00.000Z')];
    await s.insertEvents(a, 'kafka:events:0:100-101');
    await s.insertEvents(a, 'kafka:events:0:100-101');
    await s.insertEvents(b); // chdb applies settings session-wide: a stale token here would silently drop b
    const c = [toolCall('c-1', '2026-11-02T09:03:00.000Z')];
    await s.insertEvents(c, "topic.o'brien\\x:1"); // quoted in the INSERT's SETTINGS clause
    await s.insertEvents(c, "topic.o'brien\\x:1");
    const raw = await s.client.query({ query: `SELECT count() AS n FROM ${s.database}.events`, format: 'JSONEachRow' });
    expect(Number((await raw.json<{ n: string }>())[0]?.n)).toBe(4); // the replayed batches were not even written
    expect(await s.countEvents()).toBe(4);
  });

  it('returns events verbatim, filtered and in time order', async () => {
    const all = await store.queryEvents();
    expect(all.map((e) => e.event_id)).toEqual(['e-3', 'e-1', 'e-2', 'e-4']); // e-3 is 08:00Z
    expect(all.find((e) => e.event_id === 'e-2')).toEqual(batch[1]);
    expect(all.find((e) => e.event_id === 'e-3')).toEqual(batch[2]); // offset kept as given
    expect((await store.queryEvents({ kind: 'tool_call' })).map((e) => e.event_id)).toEqual(['e-2']);
    expect((await store.queryEvents({ since: '2026-11-02T09:00:01Z', until: '2026-11-02T09:05:00Z' })).map((e) => e.event_id)).toEqual(['e-2']);
    expect(await store.queryEvents({ agent_id: 'someone-else' })).toEqual([]);
    expect(await store.queryEvents({ limit: 1 })).toHaveLength(1);
  });

  it('flattens fields into columns', async () => {
    const rs = await store.client.query({
      query: `SELECT event_id, kind, tool, outcome, decision, bytes_out, token_id, delegation_chain, attributes, toUnixTimestamp64Milli(time) AS ms
              FROM ${store.database}.events FINAL ORDER BY event_id`,
      format: 'JSONEachRow',
    });
    const rows = await rs.json<Record<string, unknown>>();
    expect(rows[1]).toMatchObject({ event_id: 'e-2', kind: 'tool_call', tool: 'erp.invoice.read', outcome: 'success', bytes_out: 5120, token_id: 'tok-91' });
    expect(rows[1]?.['delegation_chain']).toEqual(['user:alice@corp.example', AGENT]);
    expect(rows[1]?.['attributes']).toEqual({ 'gen_ai.system': 'openai' });
    expect(rows[2]).toMatchObject({ event_id: 'e-3', decision: 'deny', tool: 'erp.invoice.write' });
    expect(Number(rows[2]?.['ms'])).toBe(Date.parse('2026-11-02T08:00:00Z'));
  });

  it('keeps tokens from token_issued / token_revoked events', async () => {
    expect(await store.getToken('tok-91')).toEqual({
      token_id: 'tok-91',
      agent_id: AGENT,
      issuer: 'https://idp.corp.example',
      scopes: ['erp.read'],
      audience: [],
      issued_at: '2026-11-02T09:00:00.000Z',
      expires_at: '2026-11-02T09:15:00.000Z',
      grant_type: null,
      parent_token_id: null,
      task_id: 'task-7',
      on_behalf_of: 'alice@corp.example',
      revoked_at: '2026-11-02T09:05:00.000Z',
      revoke_reason: 'task done',
    });
    expect(await store.getToken('nope')).toBeNull();
  });

  it('records registry versions', async () => {
    expect(await store.latestRegistryVersion()).toBeNull();
    await store.recordRegistryVersion({ sha256: 'aa', content: 'agents: []', agentCount: 0, source: 'registry.yaml', loadedAtMs: Date.UTC(2026, 10, 1) });
    await store.recordRegistryVersion({ sha256: 'bb', content: 'agents: [x]', agentCount: 1, source: 'registry.yaml', loadedAtMs: Date.UTC(2026, 10, 2) });
    await store.recordRegistryVersion({ sha256: 'bb', content: 'agents: [x]', agentCount: 1, source: 'registry.yaml', loadedAtMs: Date.UTC(2026, 10, 2) });
    expect(await store.latestRegistryVersion()).toEqual({
      loaded_at: '2026-11-02T00:00:00.000Z',
      sha256: 'bb',
      agent_count: 1,
      source: 'registry.yaml',
      content: 'agents: [x]',
    });
    const rs = await store.client.query({ query: `SELECT count() AS n FROM ${store.database}.registry_versions FINAL`, format: 'JSONEachRow' });
    expect(Number((await rs.json<{ n: string }>())[0]?.n)).toBe(2);
  });

  it('stores rendered texts byte for byte (strings and bytes, pretty-printed, non-ASCII), stamped by the store clock', async () => {
    const s = await openStore();
    const pretty = JSON.stringify(toolCall('r-1', '2026-11-02T09:00:00.000Z', { resource: 'docs://résumé/ü "q"' }), null, 2);
    const compact = JSON.stringify(toolCall('r-2', '2026-11-02T09:00:01.000Z', { attributes: { note: 'line\nbreak ✓' } }));
    const spaced = ` ${JSON.stringify(toolCall('r-3', '2026-11-02T09:00:02.000Z'))}\t`;
    const before = await s.now();
    await s.insertEventRows([renderEventRows([pretty, Buffer.from(compact)], 'a'), renderEventRows([Buffer.from(spaced)], 'b')]);
    const after = await s.now();
    const rs = await s.client.query({
      query: `SELECT event_id, raw, resource, attributes, toUnixTimestamp64Milli(ingested_at) AS at FROM ${s.database}.events FINAL ORDER BY event_id`,
      format: 'JSONEachRow',
    });
    const rows = await rs.json<{ event_id: string; raw: string; resource: string; attributes: Record<string, string>; at: string }>();
    expect(rows.map((r) => r.raw)).toEqual([pretty, compact, spaced.trim()]);
    expect(rows[0]?.resource).toBe('docs://résumé/ü "q"');
    expect(rows[1]?.attributes).toEqual({ note: 'line\nbreak ✓' });
    for (const r of rows) {
      expect(Number(r.at)).toBeGreaterThanOrEqual(before);
      expect(Number(r.at)).toBeLessThanOrEqual(after);
    }
  });

  it('splits large inserts into chunks, each with its own token, and stays idempotent', async () => {
    const s = await openStore({ insertChunkSize: 1000 });
    const events = syntheticEvents(2500);
    const r1 = await s.insertEvents(events, 'big');
    expect(r1.tokens).toEqual(['big#0', 'big#1', 'big#2']);
    await s.insertEvents(events, 'big');
    expect(await s.countEvents()).toBe(2500);
  });

  it('measures a raw insert rate', async () => {
    const r = await measureRawInsert(store, 5000);
    expect(r.n).toBe(5000);
    expect(r.eventsPerSec).toBeGreaterThan(0);
    const rs = await store.client.query({ query: `SELECT count() AS n FROM ${store.database}.bench_raw_events`, format: 'JSONEachRow' });
    expect(Number((await rs.json<{ n: string }>())[0]?.n)).toBe(5000);
    expect(await store.countEvents()).toBe(4); // the bench table is not the events table
  });
});
