import type { Alert } from '@agentwatch/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidCursorError, type Store } from '../src/index.ts';
import { alert, closeAll, openStore } from './helpers.ts';

afterAll(closeAll);

const rawCount = async (store: Store, table: string): Promise<number> => {
  const rs = await store.client.query({ query: `SELECT count() AS n FROM ${store.database}.${table}`, format: 'JSONEachRow' });
  return Number((await rs.json<{ n: string }>())[0]?.n);
};

describe('alert upsert', () => {
  let store: Store;
  beforeAll(async () => {
    store = await openStore();
  });

  it('stores an alert and reads it back unchanged (unassigned: assignee null)', async () => {
    const a = alert('a1', { evidence: { event_ids: ['e1'], baseline: { p95: 12 }, declared: ['erp.*'] } });
    expect(await store.insertAlerts([a])).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
    expect(await store.getAlert('a1')).toEqual({ ...a, assignee: null });
    expect(await store.getAlert('missing')).toBeNull();
  });

  it('re-inserting the same alert changes nothing', async () => {
    expect(await store.insertAlerts([alert('a1', { evidence: { event_ids: ['e1'], baseline: { p95: 12 }, declared: ['erp.*'] } })])).toEqual({
      inserted: 0,
      updated: 0,
      unchanged: 1,
    });
    expect((await store.queryAlerts()).alerts).toHaveLength(1);
  });

  it('a later emission wins: count grows, last_seen moves, evidence accumulates', async () => {
    const later = alert('a1', {
      count: 5,
      last_seen: '2026-11-02T09:30:00.000Z',
      title: 'tool outside registry, 5 calls',
      severity: 'critical',
      evidence: { event_ids: ['e2', 'e3'] },
    });
    expect(await store.insertAlerts([later])).toEqual({ inserted: 0, updated: 1, unchanged: 0 });
    const got = await store.getAlert('a1');
    expect(got).toMatchObject({
      count: 5,
      last_seen: '2026-11-02T09:30:00.000Z',
      first_seen: '2026-11-02T09:00:00.000Z',
      title: 'tool outside registry, 5 calls',
    });
    expect(got?.severity).toBe('critical');
    expect(got?.evidence.event_ids).toEqual(['e2', 'e3', 'e1']);
    expect((await store.queryAlerts()).alerts).toHaveLength(1); // one row per alert_id in reads (FINAL)
    expect(await rawCount(store, 'alerts')).toBe(2); // two versions on disk until a merge
  });

  it('a stale replay (lower count) does not roll the alert back', async () => {
    await store.insertAlerts([alert('a1', { count: 2, title: 'old title' })]);
    expect(await store.getAlert('a1')).toMatchObject({ count: 5, title: 'tool outside registry, 5 calls' });
  });

  it('merges several emissions of one alert within a batch', async () => {
    await store.insertAlerts([alert('b1', { count: 1 }), alert('b1', { count: 3, last_seen: '2026-11-02T09:10:00.000Z' }), alert('b1', { count: 2 })]);
    expect(await store.getAlert('b1')).toMatchObject({ count: 3, last_seen: '2026-11-02T09:10:00.000Z' });
  });

  it('rejects an alert that is not alerts.md-valid', async () => {
    await expect(store.insertAlerts([{ ...alert('bad'), severity: 'urgent' } as unknown as Alert])).rejects.toThrow();
  });
});

describe('alert triage', () => {
  let store: Store;
  beforeAll(async () => {
    store = await openStore();
    await store.insertAlerts([alert('t1'), alert('t2')]);
  });

  it('changes the status and keeps a history of every change', async () => {
    const t0 = Date.UTC(2026, 10, 3, 8);
    const acked = await store.updateAlertStatus('t1', 'acknowledged', 'looking', 'bob', t0);
    expect(acked?.status).toBe('acknowledged');
    await store.updateAlertStatus('t1', 'resolved', 'registry updated', 'carol', t0 + 60_000);
    expect((await store.getAlert('t1'))?.status).toBe('resolved');
    expect(await store.getAlertHistory('t1')).toEqual([
      { alert_id: 't1', at: '2026-11-03T08:00:00.000Z', from_status: 'new', status: 'acknowledged', comment: 'looking', actor: 'bob' },
      { alert_id: 't1', at: '2026-11-03T08:01:00.000Z', from_status: 'acknowledged', status: 'resolved', comment: 'registry updated', actor: 'carol' },
    ]);
  });

  it('a replayed change is recorded once', async () => {
    await store.updateAlertStatus('t1', 'resolved', 'registry updated', 'carol', Date.UTC(2026, 10, 3, 8, 1));
    expect(await store.getAlertHistory('t1')).toHaveLength(2);
  });

  it('an older change arriving late goes to history but does not override the current status', async () => {
    await store.updateAlertStatus('t1', 'false_positive', 'late', 'dave', Date.UTC(2026, 10, 3, 7));
    expect((await store.getAlert('t1'))?.status).toBe('resolved');
    const h = await store.getAlertHistory('t1');
    expect(h.map((c) => c.status)).toEqual(['false_positive', 'acknowledged', 'resolved']);
  });

  it('a new emission of the alert keeps the triage status', async () => {
    await store.insertAlerts([alert('t1', { count: 9, last_seen: '2026-11-02T10:00:00.000Z', status: 'new' })]);
    expect(await store.getAlert('t1')).toMatchObject({ count: 9, status: 'resolved' });
  });

  it('unknown alert: null; unknown status: error', async () => {
    expect(await store.updateAlertStatus('nope', 'resolved', '', 'bob', Date.now())).toBeNull();
    expect(() => store.updateAlertStatus('t2', 'closed' as never, '', 'bob', Date.now())).toThrow(/status/);
  });

  it('status filters read the latest version only', async () => {
    expect((await store.queryAlerts({ status: 'new' })).alerts.map((a) => a.alert_id)).toEqual(['t2']);
    expect((await store.queryAlerts({ status: 'resolved' })).alerts.map((a) => a.alert_id)).toEqual(['t1']);
    expect((await store.queryAlerts({ status: 'acknowledged' })).alerts).toEqual([]);
  });
});

describe('alert queries', () => {
  let store: Store;
  const H = 3_600_000;
  const base = Date.UTC(2026, 10, 2, 0);
  const iso = (ms: number) => new Date(ms).toISOString();
  // 30 alerts, one an hour; a few share a first_seen so paging must break ties by alert_id
  const all: Alert[] = Array.from({ length: 30 }, (_, i) => {
    const first = base + (i < 4 ? 0 : i) * H;
    return alert(`q${String(i).padStart(2, '0')}`, {
      first_seen: iso(first),
      last_seen: iso(first + 30 * 60_000),
      severity: (['info', 'low', 'medium', 'high', 'critical'] as const)[i % 5],
      category: i % 3 === 0 ? 'credential' : 'scope_drift',
      rule_id: i % 3 === 0 ? 'credential.token_ttl_exceeds_max' : 'scope.tool_outside_registry',
      agent_id: `agent-${i % 4}`,
    });
  });
  const ids = (as: Alert[]) => as.map((a) => a.alert_id);
  const expected = (pred: (a: Alert) => boolean) =>
    ids(all.filter(pred).sort((a, b) => Date.parse(b.first_seen) - Date.parse(a.first_seen) || (a.alert_id < b.alert_id ? 1 : -1)));

  beforeAll(async () => {
    store = await openStore();
    await store.insertAlerts(all);
    await store.updateAlertStatus('q10', 'acknowledged', '', 'bob', Date.now());
  });

  it('lists newest first with a stable tie-break', async () => {
    const page = await store.queryAlerts({ limit: 1000 });
    expect(ids(page.alerts)).toEqual(expected(() => true));
    expect(page.next_cursor).toBeNull();
    expect(ids(page.alerts).slice(-4)).toEqual(['q03', 'q02', 'q01', 'q00']);
  });

  it('filters by minimum severity', async () => {
    expect(ids((await store.queryAlerts({ severity: 'high' })).alerts)).toEqual(expected((a) => a.severity === 'high' || a.severity === 'critical'));
    expect((await store.queryAlerts({ severity: 'info' })).alerts).toHaveLength(30);
  });

  it('filters by category, rule, agent and status (one value or several)', async () => {
    expect(ids((await store.queryAlerts({ category: 'credential' })).alerts)).toEqual(expected((a) => a.category === 'credential'));
    expect(ids((await store.queryAlerts({ rule_id: 'scope.tool_outside_registry' })).alerts)).toEqual(
      expected((a) => a.rule_id === 'scope.tool_outside_registry'),
    );
    expect(ids((await store.queryAlerts({ agent_id: 'agent-1' })).alerts)).toEqual(expected((a) => a.agent_id === 'agent-1'));
    expect(ids((await store.queryAlerts({ agent_id: ['agent-1', 'agent-2'] })).alerts)).toEqual(
      expected((a) => a.agent_id === 'agent-1' || a.agent_id === 'agent-2'),
    );
    expect(ids((await store.queryAlerts({ status: 'acknowledged' })).alerts)).toEqual(['q10']);
    expect((await store.queryAlerts({ status: ['new', 'acknowledged'] })).alerts).toHaveLength(30);
    expect(ids((await store.queryAlerts({ category: 'credential', severity: 'medium', agent_id: 'agent-0' })).alerts)).toEqual(
      expected((a) => a.category === 'credential' && ['medium', 'high', 'critical'].includes(a.severity) && a.agent_id === 'agent-0'),
    );
  });

  it('filters by time: active at or after since, started before until', async () => {
    const since = base + 20 * H + 45 * 60_000; // q20 ended at 20:30 -> out; q21 from 21:00 -> in
    expect(ids((await store.queryAlerts({ since: iso(since) })).alerts)).toEqual(expected((a) => Date.parse(a.last_seen) >= since));
    const until = base + 5 * H;
    expect(ids((await store.queryAlerts({ until })).alerts)).toEqual(expected((a) => Date.parse(a.first_seen) < until));
    expect(ids((await store.queryAlerts({ since: base + 10 * H, until: new Date(base + 12 * H) })).alerts)).toEqual(['q11', 'q10']);
  });

  it('pages with a keyset cursor: every alert exactly once, in order', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await store.queryAlerts({ limit: 7, cursor });
      seen.push(...ids(page.alerts));
      cursor = page.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(5);
    expect(seen).toEqual(expected(() => true));
  });

  it('paging stays consistent when an alert on an earlier page is updated', async () => {
    const p1 = await store.queryAlerts({ limit: 10, category: 'scope_drift' });
    await store.insertAlerts([{ ...all[29]!, count: 40, last_seen: iso(base + 40 * H) }]);
    const p2 = await store.queryAlerts({ limit: 100, category: 'scope_drift', cursor: p1.next_cursor });
    expect([...ids(p1.alerts), ...ids(p2.alerts)]).toEqual(expected((a) => a.category === 'scope_drift'));
  });

  it('paging with filters and a page size equal to the result leaves no empty last page', async () => {
    const n = expected((a) => a.category === 'credential').length;
    const page = await store.queryAlerts({ category: 'credential', limit: n });
    expect(page.alerts).toHaveLength(n);
    expect(page.next_cursor).toBeNull();
  });

  it('rejects a cursor it did not make', async () => {
    await expect(store.queryAlerts({ cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(InvalidCursorError);
  });
});

describe('alertsSince (the incident rebuild reads every recent alert in one pass)', () => {
  it('yields each alert at or after the time exactly once, whatever its id, and no older one', async () => {
    const store = await openStore();
    const ids = ['', '0', '0f', '1', '7a', 'ea', 'f', 'f0', 'tr-00', 'zz', 'Z', '-x', '~', 'é', '12345678901234567890123456789012'].filter(Boolean);
    const recent = ids.map((id, i) => alert(id, { first_seen: '2026-11-02T09:00:00.000Z', last_seen: `2026-11-02T1${i % 10}:00:00.000Z` }));
    const old = alert('old-one', { first_seen: '2026-10-01T09:00:00.000Z', last_seen: '2026-10-01T10:00:00.000Z' });
    await store.insertAlerts([...recent, old]);
    const seen: string[] = [];
    for await (const batch of store.alertsSince(Date.parse('2026-11-02T00:00:00Z'))) seen.push(...batch.map((a) => a.alert_id));
    expect(seen.sort()).toEqual([...ids].sort());
    const all: string[] = [];
    for await (const batch of store.alertsSince(0)) all.push(...batch.map((a) => a.alert_id));
    expect(all.sort()).toEqual([...ids, 'old-one'].sort());
  });
});
