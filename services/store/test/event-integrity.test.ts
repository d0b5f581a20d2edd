import type { ToolCallEvent as ToolCall } from '@agentwatch/schemas';
import { afterAll, describe, expect, it } from 'vitest';
import { isRowError, MAX_STORED_TIME_MS, MIN_STORED_TIME_MS } from '../src/event-rows.ts';
import { renderEventRows, type Store } from '../src/index.ts';
import { AGENT, closeAll, openStore, toolCall } from './helpers.ts';

/**
 * What validation accepts, the store accepts, and one bad row never loses its batch: hostile rows among valid ones,
 * backfills over hundreds of days, event times far outside what ClickHouse dates hold, repeated event ids.
 */
afterAll(closeAll);

const DAY = 86_400_000;
const count = async (s: Store, where = '1'): Promise<number> => {
  const rs = await s.client.query({ query: `SELECT count() AS n FROM ${s.database}.events FINAL WHERE ${where}`, format: 'JSONEachRow' });
  return Number((await rs.json<{ n: string }>())[0]?.n);
};
const ids = async (s: Store): Promise<string[]> => (await s.queryEvents({ limit: 10_000 })).map((e) => e.event_id).sort((a, b) => a.localeCompare(b));

describe('one bad row never loses its batch', () => {
  it('a row ClickHouse cannot read (a lone surrogate that got past validation) is isolated and refused; the others are stored', async () => {
    const s = await openStore();
    const valid = Array.from({ length: 37 }, (_, i) => toolCall(`ok-${i}`, new Date(Date.UTC(2026, 10, 2, 9) + i * 1000).toISOString()));
    // Not a valid canonical event any more (the schema rejects it): this stands for any row the store cannot take.
    const poison = toolCall('poison', '2026-11-02T09:00:30.000Z', { tool: 'erp.\ud800read' });
    const batch = [...valid.slice(0, 20), poison, ...valid.slice(20)];
    const r = await s.insertEvents(batch);
    expect(r.refused.map((x) => x.index)).toEqual([20]);
    expect(r.refused[0]?.reason).toMatch(/refused this event \(ClickHouse error \d+\)/);
    expect(r.refused[0]?.raw).toContain('"event_id":"poison"');
    expect(r.rows).toBe(37);
    expect(await count(s)).toBe(37);
    // Kept among the rejects with its reason, though its text is not valid Unicode.
    await s.insertRejectedRecords([
      { source: 'test', format: 'canonical', reason: r.refused[0]?.reason ?? '', raw: r.refused[0]?.raw ?? '', receivedAtMs: Date.now() },
    ]);
    expect((await s.queryRejectedRecords({ source: 'test' }))[0]?.raw).toContain('poison');
    // A retry of the same batch stores nothing twice and refuses the same row again.
    const again = await s.insertEvents(batch);
    expect(again.duplicates).toHaveLength(37);
    expect(again.refused.map((x) => x.index)).toEqual([20]);
    expect(await count(s)).toBe(37);
  });

  it('pre-rendered rows (the Kafka path): the bad rows are refused by position and chunk key, every valid row is stored', async () => {
    const s = await openStore();
    const t = (i: number) => new Date(Date.UTC(2026, 10, 2, 9) + i * 1000).toISOString();
    const a = Array.from({ length: 10 }, (_, i) => JSON.stringify(toolCall(`a-${i}`, t(i))));
    const b = Array.from({ length: 10 }, (_, i) => JSON.stringify(toolCall(`b-${i}`, t(i))));
    // As a Kafka message could carry it: a JSON escape of a lone surrogate, and a truncated object.
    a[3] = JSON.stringify(toolCall('bad-escape', t(3))).replace('"erp.invoice.read"', '"erp.\\ud800"');
    b[7] = '{"kind":"tool_call","event_id":"bad-trunc"';
    const times = (n: number) => Array.from({ length: n }, (_, i) => Date.parse(t(i)));
    const r = await s.insertEventRows([renderEventRows(a, 'events:0:0-9', times(10)), renderEventRows(b, 'events:1:0-9', times(10))]);
    expect(r.refused.map((x) => [x.index, x.key])).toEqual([
      [3, 'events:0:0-9'],
      [17, 'events:1:0-9'],
    ]);
    expect(r.rows).toBe(18);
    expect(await count(s)).toBe(18);
  });

  it('a store failure is not a bad row: the insert fails whole (the caller retries), nothing is refused', async () => {
    const s = await openStore();
    await s.client.command({ query: `DROP TABLE ${s.database}.events_ingest` });
    await expect(s.insertEvents([toolCall('x-1', '2026-11-02T09:00:00Z'), toolCall('x-2', '2026-11-02T09:00:01Z')])).rejects.toThrow();
  });
});

describe('backfills and time claims', () => {
  it('a valid backfill over 400 days is stored whole, in inserts of at most 100 days each', async () => {
    const s = await openStore();
    const start = Date.UTC(2025, 0, 1);
    const events = Array.from({ length: 1200 }, (_, i) => toolCall(`bf-${i}`, new Date(start + (i % 400) * DAY + i * 1000).toISOString()));
    const r = await s.insertEvents(events);
    expect(r.refused).toEqual([]);
    expect(r.rows).toBe(1200);
    expect(r.tokens.length).toBe(4);
    expect(await count(s)).toBe(1200);
    // The Kafka path too.
    const s2 = await openStore();
    const rows = renderEventRows(
      events.map((e) => JSON.stringify(e)),
      'bf',
      events.map((e) => Date.parse(e.time)),
    );
    const r2 = await s2.insertEventRows([rows]);
    expect(r2.refused).toEqual([]);
    expect(await count(s2)).toBe(1200);
  });

  it('events dated 9999, 0001, 1970, 1899 and 2300 are stored: `time` clamped to what ClickHouse holds, `raw` keeps the claim', async () => {
    const s = await openStore();
    const claims = [
      '9999-12-31T23:59:59.999Z',
      '0001-01-01T00:00:00.000Z',
      '1970-01-01T00:00:00.000Z',
      '1899-12-31T23:59:59.000Z',
      '2300-01-01T00:00:00.000Z',
      '2299-12-31T23:30:00-05:00',
    ];
    const events = claims.map((t, i) => toolCall(`claim-${i}`, t));
    const r = await s.insertEvents([...events, toolCall('now-ish', '2026-11-02T09:00:00Z')]);
    expect(r.refused).toEqual([]);
    expect(await ids(s)).toEqual([...events.map((e) => e.event_id), 'now-ish'].sort((a, b) => a.localeCompare(b)));
    const rs = await s.client.query({
      query: `SELECT event_id, toUnixTimestamp64Milli(time) AS ms, JSONExtractString(raw, 'time') AS claim FROM ${s.database}.events FINAL ORDER BY event_id`,
      format: 'JSONEachRow',
    });
    const stored = new Map((await rs.json<{ event_id: string; ms: string; claim: string }>()).map((x) => [x.event_id, x]));
    const expected = (t: string) => Math.min(MAX_STORED_TIME_MS, Math.max(MIN_STORED_TIME_MS, Date.parse(t)));
    claims.forEach((t, i) => {
      expect(Number(stored.get(`claim-${i}`)?.ms), t).toBe(expected(t));
      expect(stored.get(`claim-${i}`)?.claim).toBe(t);
    });
  });

  it('with an events TTL, a stale-dated event is kept as long as a recent one (the TTL counts from ingested_at)', async () => {
    const s = await openStore({ eventsTtlDays: 30 });
    await s.insertEvents([toolCall('old-1', '1970-01-01T00:00:00Z'), toolCall('old-2', '2001-01-01T00:00:00Z'), toolCall('far-1', '9999-12-31T00:00:00Z')]);
    // Merges apply the TTL: a TTL on the claimed time would drop the first two here.
    await s.client.command({ query: `OPTIMIZE TABLE ${s.database}.events FINAL` });
    expect(await ids(s)).toEqual(['far-1', 'old-1', 'old-2']);
  });
});

describe('a repeated event_id', () => {
  it('with the same content is a duplicate (not stored again); with other content it is refused as a conflict and the first version stands', async () => {
    const s = await openStore();
    const first = toolCall('dup-1', '2026-11-02T09:00:00.000Z', { resource: 'erp://a' }) as ToolCall;
    expect((await s.insertEvents([first])).rows).toBe(1);
    const other: ToolCall = { ...first, resource: 'erp://b' };
    const moved: ToolCall = { ...first, time: '2026-11-02T10:00:00.000Z', agent_id: `${AGENT}-x` };
    const r = await s.insertEvents([{ ...first }, other, moved, toolCall('new-1', '2026-11-02T09:00:01.000Z')]);
    expect(r.duplicates).toEqual([0]);
    expect(r.refused.map((x) => x.index)).toEqual([1, 2]);
    expect(r.refused[0]?.reason).toMatch(/conflicting duplicate: event_id "dup-1"/);
    expect(r.rows).toBe(1);
    const stored = await s.queryEvents({ limit: 100 });
    expect(stored.map((e) => e.event_id)).toEqual(['dup-1', 'new-1']);
    expect((stored[0] as { resource?: string }).resource).toBe('erp://a');
  });

  it('within one batch: the first stands, a same-content repeat is a duplicate, another version a conflict', async () => {
    const s = await openStore();
    const e = toolCall('b-1', '2026-11-02T09:00:00.000Z') as ToolCall;
    const r = await s.insertEvents([e, { ...e }, { ...e, outcome: 'failure' }]);
    expect(r.rows).toBe(1);
    expect(r.duplicates).toEqual([1]);
    expect(r.refused.map((x) => x.index)).toEqual([2]);
    expect(await count(s)).toBe(1);
  });
});

describe('telling a bad row from a store failure', () => {
  it('reads the ClickHouse code from a client error, a chdb error and a cause chain; anything else is a store failure', () => {
    expect(isRowError(Object.assign(new Error('x'), { code: '41' }))).toBe(true);
    expect(isRowError(Object.assign(new Error('x'), { code: 'CHDB_INSERT', clickhouseCode: 27 }))).toBe(true);
    expect(isRowError(new Error('wrapped', { cause: Object.assign(new Error('x'), { code: '117' }) }))).toBe(true);
    expect(isRowError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(false);
    expect(isRowError(Object.assign(new Error('Too many partitions'), { code: '252' }))).toBe(false);
    expect(isRowError(Object.assign(new Error('memory'), { code: '241' }))).toBe(false);
  });
});
