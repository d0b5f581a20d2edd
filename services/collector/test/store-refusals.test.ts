import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_RULES, DetectionEngine, parseRegistry, type SourceItem } from '@agentwatch/detections';
import type { CanonicalEvent } from '@agentwatch/schemas';
import { createStore, type RefusedEvent, type Store } from '@agentwatch/store';
import { afterAll, describe, expect, it } from 'vitest';
import { LivePipeline, pipelineWriteBehind } from '../src/live-pipeline.ts';

/**
 * A row the store cannot take (here: text with a lone surrogate, which validation now refuses, standing for any row
 * ClickHouse refuses) never loses its batch: stored directly, it is answered as rejected and kept in rejected_records
 * while the others are stored and counted; written behind (Kafka), it goes to `onRefused` (the DLQ) and the write
 * does not fail, so no partition is re-read forever. Repeated ids are duplicates or conflicts, never counted twice.
 */
const DATA_DIR = mkdtempSync(join(tmpdir(), 'aw-refusals-test-'));
const stores: Store[] = [];
async function openStore(): Promise<Store> {
  const s = createStore({ dataDir: DATA_DIR, database: `aw_refusals_${randomBytes(6).toString('hex')}` });
  stores.push(s);
  await s.migrate();
  return s;
}
afterAll(async () => {
  for (const s of stores) await s.close();
  rmSync(DATA_DIR, { recursive: true, force: true });
});

const loaded = parseRegistry('agents: []\n', 'registry.yaml');
if (!loaded.ok) throw new Error(`registry refused: ${JSON.stringify(loaded.problems)}`);
const newEngine = () => new DetectionEngine({ registry: loaded.registry, rules: BUILTIN_RULES });
const GHOST = 'spiffe://corp.example/agents/ghost';
const item = (id: string, i: number, tool = 'crm.export'): SourceItem => {
  const event: CanonicalEvent = {
    kind: 'tool_call',
    event_id: id,
    time: new Date(Date.UTC(2026, 10, 2, 9) + i * 1000).toISOString(),
    agent_id: GHOST,
    tool,
    outcome: 'success',
  };
  return { event, timeMs: Date.parse(event.time) };
};
const unregisteredCount = async (store: Store): Promise<number> =>
  (await store.queryAlerts({ rule_id: 'registry.unregistered_agent' })).alerts.reduce((n, a) => n + a.count, 0);

describe('store refusals through the live pipeline', () => {
  it('stored directly: the bad row is answered and kept, every valid event stored and counted once', async () => {
    const store = await openStore();
    const pipeline = new LivePipeline({ engine: newEngine(), store });
    const items = Array.from({ length: 30 }, (_, i) => item(`ok-${i}`, i));
    items.splice(12, 0, item('poison', 12, 'crm.\ud800export'));
    const r = await pipeline.ingest(items, { dedupToken: 'b1', source: 'test' });
    expect(r).toMatchObject({ accepted: 30, rejected: 1, duplicates: 0 });
    expect(r.rejections).toEqual([{ index: 12, error: expect.stringMatching(/the store refused this event/) }]);
    expect(await store.countEvents()).toBe(30);
    const kept = await store.queryRejectedRecords({ source: 'test' });
    expect(kept).toHaveLength(1);
    expect(kept[0]?.raw).toContain('"event_id":"poison"');
    await pipeline.flush();
    expect(await unregisteredCount(store)).toBe(30);
  });

  it('stored directly: a resent batch is all duplicates and a changed event a conflict; the engine counts neither', async () => {
    const store = await openStore();
    const pipeline = new LivePipeline({ engine: newEngine(), store });
    const items = Array.from({ length: 10 }, (_, i) => item(`d-${i}`, i));
    await pipeline.ingest(items, { dedupToken: 'd1' });
    const again = await pipeline.ingest(items, { dedupToken: 'd2' });
    expect(again).toMatchObject({ accepted: 0, rejected: 0, duplicates: 10 });
    // The same id from another agent a month later (outside the engine's duplicate window): refused, not counted.
    const moved = item('d-3', 3);
    if (!('event' in moved)) throw new Error('unreachable');
    const impostor = { event: { ...moved.event, agent_id: `${GHOST}-2`, time: '2026-12-02T09:00:00.000Z' }, timeMs: Date.parse('2026-12-02T09:00:00.000Z') };
    const r = await pipeline.ingest([impostor], { dedupToken: 'd3' });
    expect(r).toMatchObject({ accepted: 0, rejected: 1, duplicates: 0 });
    expect(r.rejections[0]?.error).toMatch(/conflicting duplicate/);
    await pipeline.flush();
    expect(await store.countEvents()).toBe(10);
    expect(await unregisteredCount(store)).toBe(10);
    expect((await store.queryAlerts({ agent_id: `${GHOST}-2` })).alerts).toEqual([]);
  });

  it('written behind: the bad row goes to onRefused, the write succeeds and the rest is stored', async () => {
    const store = await openStore();
    const refused: RefusedEvent[] = [];
    const failures: Error[] = [];
    const writeBehind = pipelineWriteBehind({ store, onFailure: (e) => failures.push(e), onRefused: async (rows) => void refused.push(...rows) });
    const pipeline = new LivePipeline({ engine: newEngine(), store, writeBehind });
    const batch1 = Array.from({ length: 20 }, (_, i) => item(`w-${i}`, i));
    const batch2 = Array.from({ length: 20 }, (_, i) => item(`x-${i}`, 20 + i));
    batch2[5] = item('poison-w', 25, 'crm.\ud800export');
    await pipeline.ingest(batch1, { dedupToken: 'events:0:0-19' });
    await pipeline.ingest(batch2, { dedupToken: 'events:0:20-39' });
    await writeBehind.writer.drain();
    expect(failures).toEqual([]);
    expect(refused.map((r) => [r.key, JSON.parse(r.raw.replace(/\\ud800/, '')).event_id])).toEqual([['events:0:20-39', 'poison-w']]);
    expect(await store.countEvents()).toBe(39);
  });
});
