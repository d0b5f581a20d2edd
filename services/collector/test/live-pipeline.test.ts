import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_RULES, DetectionEngine, detectionLimits, parseRegistry, ReplayArrival, type SourceItem } from '@agentwatch/detections';
import { type Alert, DetectionConfig, parseEventJson } from '@agentwatch/schemas';
import { simulateFleet } from '@agentwatch/simulator';
import { createStore, type Store } from '@agentwatch/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replay } from '../../cli/src/commands/replay.ts';
import { CheckpointStore } from '../src/checkpoint-store.ts';
import { LivePipeline, PipelineBrokenError, pipelineWriteBehind } from '../src/live-pipeline.ts';
import { WriteBehindFailedError } from '../src/write-behind.ts';

// chdb: one data folder per process (vitest forks per file); tests isolate by database.
const DATA_DIR = mkdtempSync(join(tmpdir(), 'aw-collector-test-'));
const uniqueDb = (): string => `aw_collector_${randomBytes(6).toString('hex')}`;
const stores: Store[] = [];
async function openStore(): Promise<Store> {
  const s = createStore({ dataDir: DATA_DIR, database: uniqueDb() });
  stores.push(s);
  await s.migrate();
  return s;
}

const readNdjson = <T>(file: string): T[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);

async function allAlerts(store: Store): Promise<Alert[]> {
  const out: Alert[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await store.queryAlerts({ limit: 1000, ...(cursor ? { cursor } : {}) });
    out.push(...page.alerts);
    if (!page.next_cursor) return out;
    cursor = page.next_cursor;
  }
}

const key = (a: Alert) => `${a.alert_id} ${a.count} ${a.first_seen} ${a.last_seen}`;

describe('LivePipeline', () => {
  let dir: string;
  let items: SourceItem[];
  let replayAlerts: Alert[];
  const newEngine = () => {
    const reg = parseRegistry(readFileSync(join(dir, 'registry.yaml'), 'utf8'), 'registry.yaml');
    if (!reg.ok) throw new Error('registry refused');
    return new DetectionEngine({ registry: reg.registry, rules: BUILTIN_RULES });
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aw-collector-fleet-'));
    await simulateFleet({ agents: 10, days: 9, seed: 11, outDir: dir });
    // Arrival as replay estimates it (the recording's own stream), so the fleet's forged clock is judged as in replay.
    const arrival = new ReplayArrival(detectionLimits(DetectionConfig.parse({})));
    items = [];
    readFileSync(join(dir, 'events.ndjson'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .forEach((l, i) => {
        const r = parseEventJson(l);
        if (!r.ok) throw new Error(`bad simulated event on line ${i + 1}`);
        arrival.push({ event: r.value, timeMs: Date.parse(r.value.time) }, items);
      });
    arrival.drain(items);
    const out = join(dir, 'alerts.ndjson');
    await replay({ registry: join(dir, 'registry.yaml'), files: [join(dir, 'events.ndjson')], inputFormat: 'canonical', out, log: () => {} });
    replayAlerts = readNdjson<Alert>(out);
  });

  afterAll(async () => {
    for (const s of stores.splice(0)) await s.close();
    rmSync(DATA_DIR, { recursive: true, force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('stores every event once and upserts the same alerts as replay (open ones live, final after flush)', async () => {
    const store = await openStore();
    const emitted: Alert[] = [];
    const pipeline = new LivePipeline({ engine: newEngine(), store, onAlerts: (a) => void emitted.push(...a) });
    const BATCH = 1000;
    const started = performance.now();
    for (let i = 0; i < items.length; i += BATCH) {
      const r = await pipeline.ingest(items.slice(i, i + BATCH), { dedupToken: `test:0:${i}-${i + BATCH - 1}` });
      expect(r.rejected).toBe(0);
    }
    const ms = performance.now() - started;
    // Before flush: every alert replay produced has already been upserted (opened live), with its final id.
    const live = await allAlerts(store);
    expect(new Set(live.map((a) => a.alert_id))).toEqual(new Set(replayAlerts.map((a) => a.alert_id)));

    await pipeline.flush();
    const stored = await allAlerts(store);
    expect(replayAlerts.length).toBeGreaterThan(0);
    expect(stored.map(key).sort()).toEqual(replayAlerts.map(key).sort());
    expect(new Set(emitted.map((a) => a.alert_id)).size).toBe(replayAlerts.length);
    expect(await store.countEvents()).toBe(items.length);
    console.info(
      `LivePipeline: ${items.length} events in ${Math.round(ms)} ms (${Math.round(items.length / (ms / 1000))} events/s incl. store), ${stored.length} alerts`,
    );
  });

  it('a replayed batch (same dedup token) changes nothing; rejected items go to onRejected', async () => {
    const store = await openStore();
    const rejected: string[] = [];
    const pipeline = new LivePipeline({ engine: newEngine(), store, onRejected: (r) => void rejected.push(r.error) });
    const batch = items.slice(0, 500);
    await pipeline.ingest(batch, { dedupToken: 't:0:0-499' });
    const bad: SourceItem = { error: 'not valid JSON', origin: { source: 't:0', line: 500 }, raw: '{' };
    const r = await pipeline.ingest([bad], { dedupToken: 't:0:500-500' });
    expect(r).toEqual({ accepted: 0, rejected: 1, duplicates: 0, rejections: [], alerts: [] });
    expect(rejected).toEqual(['not valid JSON']);
    // Same batch again through a fresh pipeline on the same store (a restart without checkpoint): events stay once.
    await new LivePipeline({ engine: newEngine(), store }).ingest(batch, { dedupToken: 't:0:0-499' });
    expect(await store.countEvents()).toBe(500);
  });

  it('checkpoint -> CheckpointStore -> restore mid-stream gives the alerts of an uninterrupted run', async () => {
    const store = await openStore();
    const cps = new CheckpointStore(store);
    const cut = Math.floor(items.length * 0.6);
    const a = new LivePipeline({ engine: newEngine(), store });
    for (let i = 0; i < cut; i += 2000) await a.ingest(items.slice(i, Math.min(i + 2000, cut)), { dedupToken: `c:0:${i}` });
    await cps.save({ groupId: 'g', topic: 't', offsets: { '0': String(cut) }, snapshot: await a.checkpoint() });

    const cp = await new CheckpointStore(store).load('g', 't');
    expect(cp?.offsets).toEqual({ '0': String(cut) });
    const b = new LivePipeline({ engine: newEngine(), store });
    await b.restore(cp?.snapshot ?? '');
    for (let i = cut; i < items.length; i += 2000) await b.ingest(items.slice(i, Math.min(i + 2000, items.length)), { dedupToken: `c:0:${i}` });
    await b.flush();
    expect((await allAlerts(store)).map(key).sort()).toEqual(replayAlerts.map(key).sort());
    expect(await cps.load('g', 'other')).toBeNull();
  });

  it('write-behind: events stored before any alert citing them and by each checkpoint, in few large inserts, never lost', async () => {
    const store = await openStore();
    const inserts: number[] = [];
    const counting: Store = {
      ...store,
      insertEventRows: (chunks, token) => {
        inserts.push(chunks.reduce((n, c) => n + c.count, 0));
        return store.insertEventRows(chunks, token);
      },
    };
    let citedMissing = 0;
    const failures: Error[] = [];
    const writeBehind = pipelineWriteBehind({
      store: counting,
      onFailure: (e) => failures.push(e),
      insertEventsAt: 5_000,
      onAlerts: async (alerts) => {
        // Every event an alert cites is already stored when the alert is handed on.
        const ids = alerts.flatMap((a) => a.evidence.event_ids ?? []);
        if (ids.length === 0) return;
        const q = await store.client.query({
          query: `SELECT uniqExact(event_id) AS n FROM ${store.database}.events WHERE event_id IN ({ids:Array(String)})`,
          query_params: { ids },
          format: 'JSONEachRow',
        });
        const [row] = await q.json<{ n: string }>();
        citedMissing += new Set(ids).size - Number(row?.n ?? 0);
      },
    });
    const pipeline = new LivePipeline({ engine: newEngine(), store: counting, writeBehind });
    for (let i = 0; i < items.length; i += 100) await pipeline.ingest(items.slice(i, i + 100), { dedupToken: `d:0:${i}` });
    await pipeline.checkpoint();
    // What a checkpoint reflects is durable once the writes queued before its save are (the collector saves it in a step).
    await writeBehind.writer.step(() => undefined, [writeBehind.events, writeBehind.alerts]);
    expect(failures).toEqual([]);
    expect(citedMissing).toBe(0);
    expect(await store.countEvents()).toBe(items.length);
    // Fewer, larger inserts than one per batch.
    expect(inserts.length).toBeLessThan(Math.ceil(items.length / 100) / 4);
    expect(inserts.reduce((a, b) => a + b, 0)).toBe(items.length);
  });

  it("write-behind: alerts open at once, later versions wait for flushPending; the final state is replay's", async () => {
    const store = await openStore();
    const handed: Alert[] = [];
    const published: Alert[] = [];
    const writeBehind = pipelineWriteBehind({
      store,
      onFailure: (e) => {
        throw e;
      },
      publish: async (a) => void published.push(...a),
      onAlerts: (a) => void handed.push(...a),
    });
    const pipeline = new LivePipeline({ engine: newEngine(), store, writeBehind });
    const seen = new Set<string>();
    let openedLate = 0;
    for (let i = 0; i < items.length; i += 100) {
      const r = await pipeline.ingest(items.slice(i, i + 100), { dedupToken: `h:0:${i}` });
      // A batch that opens an alert hands it on in that batch.
      for (const id of pipeline.engine.openAlerts().map((a) => a.alert_id)) if (!seen.has(id) && !r.alerts.some((a) => a.alert_id === id)) openedLate++;
      for (const a of r.alerts) seen.add(a.alert_id);
      for (const a of pipeline.engine.openAlerts()) seen.add(a.alert_id);
      if (i % 2000 === 0) await pipeline.flushPending();
    }
    expect(openedLate).toBe(0);
    await pipeline.flush();
    await writeBehind.writer.drain();
    // Latest version per id, in the order handed on (and published), equals replay's alerts; so does the store.
    for (const list of [handed, published]) {
      const latest = new Map<string, Alert>();
      for (const a of list) latest.set(a.alert_id, a);
      expect([...latest.values()].map(key).sort()).toEqual(replayAlerts.map(key).sort());
    }
    expect((await allAlerts(store)).map(key).sort()).toEqual(replayAlerts.map(key).sort());
    // Fewer hand-ons than one per changed alert per batch would give.
    expect(handed.length).toBeLessThan(items.length / 100);
  });

  it('write-behind: a failed write is reported once, what waited behind it is skipped, and the pipeline can be stopped', async () => {
    const store = await openStore();
    const failing: Store = { ...store, insertEventRows: () => Promise.reject(new Error('events table unavailable')) };
    const failures: Error[] = [];
    const writeBehind = pipelineWriteBehind({ store: failing, onFailure: (e) => failures.push(e) });
    const pipeline = new LivePipeline({ engine: newEngine(), store: failing, writeBehind });
    await pipeline.ingest(items.slice(0, 50), { dedupToken: 'f:0:0' });
    let saved = false;
    const save = writeBehind.writer.step(() => {
      saved = true;
    }, [writeBehind.events]);
    await expect(save).rejects.toBeInstanceOf(WriteBehindFailedError);
    expect(saved).toBe(false);
    expect(failures.map((e) => e.message)).toEqual(['events table unavailable']);
    // The owner (the collector) marks its pipelines broken and re-reads from the last saved checkpoint.
    pipeline.markBroken(failures[0] as Error);
    await expect(pipeline.ingest(items.slice(50, 60), { dedupToken: 'f:0:50' })).rejects.toBeInstanceOf(PipelineBrokenError);
  });

  it('refuses further batches after a failure past the engine step, until restored', async () => {
    const store = await openStore();
    const pipeline = new LivePipeline({
      engine: newEngine(),
      store,
      onAlerts: () => {
        throw new Error('alerts sink down');
      },
    });
    const snap = await pipeline.checkpoint();
    await expect(pipeline.ingest(items.slice(0, 5000), { dedupToken: 'f:0' })).rejects.toThrow('alerts sink down');
    await expect(pipeline.ingest(items.slice(0, 1), { dedupToken: 'f:1' })).rejects.toBeInstanceOf(PipelineBrokenError);
    await pipeline.restore(snap);
    expect(pipeline.isBroken).toBe(false);
  });
});
