import type { Incident } from '@agentwatch/schemas';
import { afterAll, describe, expect, it } from 'vitest';
import { type OutboxEntry, outboxKey } from '../src/index.ts';
import { alert, closeAll, newStore, openStore, uniqueDb } from './helpers.ts';

afterAll(closeAll);

const versions = (entries: OutboxEntry[]): string[] =>
  entries.map((e) => (e.kind === 'alert' ? `${e.alertId}:${e.version}:${e.alert.count}:${e.alert.status}` : `incident ${e.incidentId}:${e.version}`));

describe('export outbox (exporters.md: every alert version queued with the alert)', () => {
  it('queues a new alert as version 1 and each change of count, status or severity as the next version; nothing else', async () => {
    const store = await openStore();
    await store.insertAlerts([alert('a1'), alert('a2')]);
    await store.insertAlerts([alert('a1')]); // unchanged re-emission
    await store.insertAlerts([alert('a1', { count: 3 })]);
    await store.insertAlerts([alert('a1', { count: 3, title: 'a new title only' })]); // stored, not an export version
    await store.insertAlerts([alert('a2', { severity: 'critical' })]);
    await store.updateAlertStatus('a1', 'acknowledged', '', 'ana', Date.parse('2026-11-02T10:00:00Z'));
    await store.triage.changeAlerts(['a2'], { status: 'resolved', comment: '' }, 'ana', Date.parse('2026-11-02T10:01:00Z'));
    await store.triage.changeAlerts(['a2'], { assignee: 'bob', comment: '' }, 'ana', Date.parse('2026-11-02T10:02:00Z')); // assignee only
    const all = await store.outbox.read(0, 100);
    expect(versions(all)).toEqual(['a1:1:1:new', 'a2:1:1:new', 'a1:2:3:new', 'a2:2:1:new', 'a1:3:3:acknowledged', 'a2:3:1:resolved']);
    expect(all.map((e) => e.seq)).toEqual([...all.map((e) => e.seq)].sort((x, y) => x - y));
    expect(all[3]?.kind === 'alert' && all[3].alert.severity).toBe('critical');
    expect(await store.outbox.head()).toBe(all.at(-1)?.seq);
    // read after a cursor, and the backlog behind it
    const after = await store.outbox.read(all[2]?.seq ?? 0, 2);
    expect(versions(after)).toEqual(['a2:2:1:new', 'a1:3:3:acknowledged']);
    expect((await store.outbox.backlog(all[2]?.seq ?? 0)).count).toBe(3);
    expect(await store.outbox.backlog(all.at(-1)?.seq ?? 0)).toEqual({ count: 0, oldestMs: null });
  });

  it('a retried alert write after its alert insert failed does not queue the version twice', async () => {
    let failAlertsInsert = false;
    const store = await openStore({
      wrapClient: (client) =>
        new Proxy(client, {
          get(target, prop, receiver) {
            const value = Reflect.get(target, prop, receiver) as unknown;
            if (prop !== 'insert' || typeof value !== 'function') return value;
            return (args: { table: string }) => {
              if (failAlertsInsert && args.table.endsWith('.alerts')) {
                failAlertsInsert = false;
                return Promise.reject(new Error('injected: alerts insert failed'));
              }
              return (value as (a: unknown) => Promise<unknown>).call(target, args);
            };
          },
        }),
    });
    await store.insertAlerts([alert('r1')]);
    failAlertsInsert = true;
    await expect(store.insertAlerts([alert('r1', { count: 2 })])).rejects.toThrow('injected');
    expect(versions(await store.outbox.read(0, 10))).toEqual(['r1:1:1:new', 'r1:2:2:new']); // queued before the alert
    await store.insertAlerts([alert('r1', { count: 2 })]); // the caller's retry
    expect((await store.getAlert('r1'))?.count).toBe(2);
    expect(versions(await store.outbox.read(0, 10))).toEqual(['r1:1:1:new', 'r1:2:2:new']);
    await store.insertAlerts([alert('r1', { count: 4 })]);
    expect(versions(await store.outbox.read(0, 10))).toEqual(['r1:1:1:new', 'r1:2:2:new', 'r1:3:4:new']);
  });

  it('keeps cursors and refused versions per exporter, and seq keeps rising for a reopened store', async () => {
    const database = uniqueDb();
    const first = newStore({ database, writer: 'w1' });
    await first.migrate();
    await first.insertAlerts([alert('c1'), alert('c2')]);
    const rows = await first.outbox.read(0, 10);
    const cursor = {
      exporter: 'splunk',
      writer: 'w1',
      seq: rows[0]?.seq ?? 0,
      delivered: 1,
      failed: 0,
      filtered: 0,
      lastDeliveryMs: 1_700_000_000_000,
      lastError: '',
      lastErrorAtMs: null,
    };
    await first.outbox.saveCursor(cursor, 1_700_000_000_001);
    await first.outbox.saveCursor({ ...cursor, failed: 1, lastError: 'HTTP 400', lastErrorAtMs: 1_700_000_000_100 }, 1_700_000_000_101);
    await first.outbox.recordFailed([
      { exporter: 'splunk', seq: rows[1]?.seq ?? 0, alertId: 'c2', version: 1, failedAtMs: 1_700_000_000_100, error: 'HTTP 400' },
    ]);
    expect(await first.outbox.cursor('splunk')).toEqual({ ...cursor, failed: 1, lastError: 'HTTP 400', lastErrorAtMs: 1_700_000_000_100 });
    expect(await first.outbox.cursor('other')).toBeNull();
    expect((await first.outbox.failed('splunk', 10)).map((f) => `${f.alertId}:${f.version}:${f.error}`)).toEqual(['c2:1:HTTP 400']);

    const again = newStore({ database, writer: 'w1' });
    await again.insertAlerts([alert('c3')]);
    const all = await again.outbox.read(0, 10);
    expect(all.map((e) => e.kind === 'alert' && e.alertId)).toEqual(['c1', 'c2', 'c3']);
    expect(all[2]?.seq).toBeGreaterThan(all[1]?.seq ?? Number.POSITIVE_INFINITY);
    // another writer on the same database has an outbox of its own
    const other = newStore({ database, writer: 'w2' });
    expect(await other.outbox.read(0, 10)).toEqual([]);
    expect(await other.outbox.cursor('splunk')).toBeNull();
  });
});

describe('export outbox: incidents (exported as OCSF findings that reference their alerts)', () => {
  const incident = (over: Partial<Incident> = {}): Incident => ({
    incident_id: 'inc-1',
    agent_ids: ['spiffe://corp.example/agents/invoice-bot'],
    owners: ['alice@corp.example'],
    alert_ids: ['a1', 'a2'],
    alert_count: 2,
    first_seen: '2026-11-02T09:00:00.000Z',
    last_seen: '2026-11-02T09:05:00.000Z',
    risk_score: 70,
    risk_explanation: '2 alerts within 5 minutes',
    severity: 'high',
    categories: ['scope_drift'],
    title: 'invoice-bot: 2 alerts',
    status: 'new',
    ...over,
  });

  it('queues version 1 when grouped, the next when alert count, severity or status changes, nothing for a retitle', async () => {
    const store = await openStore();
    await store.incidents.upsert({ upserts: [incident()], merged: [] });
    await store.incidents.upsert({ upserts: [incident({ title: 'retitled' })], merged: [] });
    await store.incidents.upsert({ upserts: [incident({ alert_ids: ['a1', 'a2', 'a3'], alert_count: 3 })], merged: [] });
    await store.incidents.updateStatus('inc-1', { status: 'acknowledged', comment: '', actor: 'ana', atMs: Date.parse('2026-11-02T10:00:00Z') });
    const all = await store.outbox.read(0, 10);
    expect(all.map((e) => (e.kind === 'incident' ? `${e.incidentId}:${e.version}:${e.incident.alert_count}:${e.incident.status}` : 'alert'))).toEqual([
      'inc-1:1:2:new',
      'inc-1:2:3:new',
      'inc-1:3:3:acknowledged',
    ]);
    expect(all.map(outboxKey)).toEqual(['inc-1:1', 'inc-1:2', 'inc-1:3']);
  });
});
