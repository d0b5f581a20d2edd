import type { Alert } from '@agentwatch/schemas';
import type { Store } from '@agentwatch/store';
import { afterAll, describe, expect, it } from 'vitest';
import { closeAll, openStore } from '../../store/test/helpers.ts';
import { exportFilter, exportIncidentFilter } from '../src/outbox/export-filter.ts';
import { ExportWorker, type ExportWorkerOptions } from '../src/outbox/export-worker.ts';
import { DeliveryError, type ExportItem, type IncidentItem, type Transport } from '../src/transports/transport.ts';
import { baseAlert } from './fixtures.ts';

afterAll(closeAll);

/**
 * A receiver in memory: what it took, in order, as `<alert_id>:<version>:<count>:<status>`. `mode` says how the next
 * send goes: 'up' takes the batch, 'down' refuses it (transient), `refuse` names a delivery id taken as a permanent
 * failure (the items before it are taken), `partial` takes that many items then fails transiently.
 */
class MemoryReceiver implements Transport {
  got: string[] = [];
  sends = 0;
  mode: 'up' | 'down' = 'up';
  refuse = new Set<string>();
  partial: number | null = null;
  alreadyDelivered?: () => Promise<ReadonlySet<string>>;
  sendIncidents?: (items: readonly IncidentItem[]) => Promise<void>;
  async send(items: readonly ExportItem[]): Promise<void> {
    this.sends++;
    if (this.mode === 'down') throw new DeliveryError('connect ECONNREFUSED', { permanent: false });
    for (const [i, it] of items.entries()) {
      const id = `${it.alert.alert_id}:${it.delivery.version}`;
      if (this.refuse.has(id)) throw new DeliveryError('HTTP 400 invalid event', { permanent: true, delivered: i });
      if (this.partial !== null && i === this.partial) {
        this.partial = null;
        throw new DeliveryError('connection reset', { permanent: false, delivered: i });
      }
      this.got.push(`${id}:${it.alert.count}:${it.alert.status}:${it.delivery.activity}`);
    }
  }
  async close(): Promise<void> {}
}

const a = (id: string, over: Partial<Alert> = {}): Alert => baseAlert({ alert_id: id, ...over });

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function worker(store: Store, transport: Transport, over: Partial<ExportWorkerOptions> = {}): ExportWorker {
  return new ExportWorker({
    name: 'siem',
    type: 'memory',
    target: 'memory',
    outbox: store.outbox,
    transport,
    accepts: exportFilter(undefined),
    batchSize: 3,
    backoff: { initialMs: 20, maxMs: 100 },
    idlePollMs: 50,
    ...over,
  });
}

describe('ExportWorker (the outbox delivery loop)', () => {
  it('delivers every alert version once, in order, and a restarted worker resumes after its saved cursor', async () => {
    const store = await openStore();
    const rx = new MemoryReceiver();
    const w1 = worker(store, rx);
    await w1.start();
    await store.insertAlerts([a('a1'), a('a2')]);
    await store.insertAlerts([a('a1', { count: 5 })]);
    await until(() => rx.got.length === 3, '3 versions');
    await w1.stop();
    await store.updateAlertStatus('a1', 'resolved', 'fixed', 'ana', Date.now());
    await store.insertAlerts([a('a3')]);
    const w2 = worker(store, rx);
    await w2.start();
    await until(() => rx.got.length === 5, '5 versions');
    await w2.stop();
    expect(rx.got).toEqual(['a1:1:2:new:created', 'a2:1:2:new:created', 'a1:2:5:new:updated', 'a1:3:5:resolved:closed', 'a3:1:2:new:created']);
    expect(w2.state()).toMatchObject({ delivered: 5, failed: 0, filtered: 0, lastError: '' });
  });

  it('a new exporter starts at the outbox end; a receiver that is down is retried until it is back, nothing lost', async () => {
    const store = await openStore();
    await store.insertAlerts([a('old')]);
    const rx = new MemoryReceiver();
    rx.mode = 'down';
    const w = worker(store, rx);
    await w.start();
    for (let i = 0; i < 7; i++) await store.insertAlerts([a(`d${i}`)]);
    await until(() => rx.sends >= 4, 'several attempts');
    expect(w.state()).toMatchObject({ state: 'retrying', delivered: 0 });
    expect(w.state().lastError).toContain('ECONNREFUSED');
    expect((await store.outbox.backlog(w.state().cursorSeq)).count).toBe(7);
    rx.mode = 'up';
    await until(() => rx.got.length === 7, 'the backlog');
    await w.stop();
    expect(rx.got.map((g) => g.split(':')[0])).toEqual(['d0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6']);
    expect(w.state()).toMatchObject({ delivered: 7, failed: 0 });
    expect(w.state().retries).toBeGreaterThanOrEqual(4);
  });

  it('keeps a version the receiver refuses for good as failed and goes on; a partial batch resumes after what was taken', async () => {
    const store = await openStore();
    const rx = new MemoryReceiver();
    rx.refuse.add('p2:1');
    rx.partial = 1;
    const w = worker(store, rx);
    await w.start();
    await store.insertAlerts([a('p1'), a('p2'), a('p3'), a('p4'), a('p5')]);
    await until(() => rx.got.length === 4, 'the other four');
    await w.stop();
    expect(rx.got.map((g) => g.split(':')[0])).toEqual(['p1', 'p3', 'p4', 'p5']);
    expect(w.state()).toMatchObject({ delivered: 4, failed: 1 });
    expect((await store.outbox.failed('siem', 10)).map((f) => `${f.alertId}:${f.version}`)).toEqual(['p2:1']);
    expect(await store.outbox.cursor('siem')).toMatchObject({ delivered: 4, failed: 1 });
  });

  it("applies the exporter's filter (suppressed alerts out by default) and counts what it passed over", async () => {
    const store = await openStore();
    const rx = new MemoryReceiver();
    const w = worker(store, rx, { accepts: exportFilter({ min_severity: 'high' }) });
    await w.start();
    await store.insertAlerts([a('f1', { severity: 'medium' }), a('f2', { severity: 'critical' }), a('f3', { severity: 'high', status: 'suppressed' })]);
    await until(() => w.state().filtered === 2, 'two filtered');
    await w.stop();
    expect(rx.got.map((g) => g.split(':')[0])).toEqual(['f2']);
  });

  it('does not send again the versions a receiver reports it holds (the OCSF file after a crash)', async () => {
    const store = await openStore();
    const first = new MemoryReceiver();
    const w1 = worker(store, first);
    await w1.start();
    await w1.stop(); // the cursor exists, at the end
    await store.insertAlerts([a('k1'), a('k2')]);
    const rx = new MemoryReceiver();
    rx.alreadyDelivered = async () => new Set(['k1:1']);
    const w2 = worker(store, rx);
    await w2.start();
    await until(() => rx.got.length === 1 && w2.state().repeatsSkipped === 1, 'k2 only');
    await w2.stop();
    expect(rx.got.map((g) => g.split(':')[0])).toEqual(['k2']);
  });

  it('sends incident versions only through a transport that can (OCSF), in outbox order among the alerts', async () => {
    const store = await openStore();
    const plain = new MemoryReceiver();
    const ocsf = new MemoryReceiver();
    const incidentsGot: string[] = [];
    ocsf.sendIncidents = async (items) => {
      for (const i of items) incidentsGot.push(`${i.incident.incident_id}:${i.delivery.version}:${i.delivery.activity}`);
      ocsf.got.push(`incident ${items.length}`);
    };
    const wPlain = worker(store, plain, { name: 'plain' });
    const wOcsf = worker(store, ocsf, { name: 'lake', acceptsIncident: exportIncidentFilter(undefined) });
    await wPlain.start();
    await wOcsf.start();
    const inc = {
      incident_id: 'inc-9',
      agent_ids: ['spiffe://corp.example/agents/x'],
      owners: [],
      alert_ids: ['i1'],
      alert_count: 1,
      first_seen: '2026-11-02T09:00:00.000Z',
      last_seen: '2026-11-02T09:00:00.000Z',
      risk_score: 50,
      risk_explanation: '1 alert',
      severity: 'medium' as const,
      categories: ['scope_drift' as const],
      title: 'x: 1 alert',
      status: 'new' as const,
    };
    await store.insertAlerts([a('i1')]);
    await store.incidents.upsert({ upserts: [inc], merged: [] });
    await store.insertAlerts([a('i2')]);
    await store.incidents.updateStatus('inc-9', { status: 'resolved', comment: '', actor: 'ana', atMs: Date.now() });
    await until(() => incidentsGot.length === 2 && ocsf.got.filter((g) => !g.startsWith('incident')).length === 2, 'the lake');
    await until(() => plain.got.length === 2 && wPlain.state().filtered === 2, 'the plain exporter');
    await wPlain.stop();
    await wOcsf.stop();
    expect(incidentsGot).toEqual(['inc-9:1:created', 'inc-9:2:closed']);
    expect(ocsf.got.map((g) => g.split(':')[0])).toEqual(['i1', 'incident 1', 'i2', 'incident 1']);
    expect(plain.got.map((g) => g.split(':')[0])).toEqual(['i1', 'i2']);
  });
});
