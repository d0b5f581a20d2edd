import type { Alert } from '@agentwatch/schemas';
import { afterAll, describe, expect, it } from 'vitest';
import { mergeAlert } from '../src/index.ts';
import { alert, closeAll, newStore, openStore, uniqueDb } from './helpers.ts';

afterAll(closeAll);

const NOW = Date.parse('2026-11-02T10:00:00.000Z');
const DAY = 86_400_000;
const suppressed = (id: string, extra: Partial<Alert> = {}): Alert => alert(id, { status: 'suppressed', suppression_id: 'sup-1', ...extra });

describe('mergeAlert: detection-set suppressed against analyst triage', () => {
  it('an untriaged alert follows the newer emission: suppressed, then new again when it no longer matches', () => {
    const stored = alert('a1');
    const hidden = mergeAlert(stored, suppressed('a1', { count: 2 }));
    expect(hidden).toMatchObject({ status: 'suppressed', suppression_id: 'sup-1', count: 2 });
    const visible = mergeAlert(hidden, alert('a1', { count: 3, last_seen: '2026-11-02T13:00:00.000Z' }));
    expect(visible.status).toBe('new');
    expect(visible).not.toHaveProperty('suppression_id');
  });

  it("an analyst's decision is never undone by a suppression", () => {
    for (const status of ['acknowledged', 'resolved', 'false_positive'] as const) {
      const merged = mergeAlert(alert('a1', { status }), suppressed('a1', { count: 2 }));
      expect(merged.status).toBe(status);
      expect(merged).not.toHaveProperty('suppression_id');
    }
    // Suppressed by hand (no suppression id): the analyst's too; a non-matching emission does not reopen it.
    expect(mergeAlert(alert('a1', { status: 'suppressed' }), alert('a1', { count: 2 })).status).toBe('suppressed');
  });

  it('a stale (older) emission does not change the verdict of the newer stored one', () => {
    const stored = suppressed('a1', { count: 5 });
    expect(mergeAlert(stored, alert('a1', { count: 1 }))).toMatchObject({ status: 'suppressed', suppression_id: 'sup-1', count: 5 });
  });
});

describe('alerts stored with their suppression', () => {
  it('insertAlerts keeps suppression_id, switches verdicts on re-emission and keeps a resolve', async () => {
    const store = await openStore();
    await store.insertAlerts([suppressed('s1'), alert('s2')]);
    expect(await store.getAlert('s1')).toMatchObject({ status: 'suppressed', suppression_id: 'sup-1' });
    expect((await store.queryAlerts({ status: 'suppressed' })).alerts.map((a) => a.alert_id)).toEqual(['s1']);
    // Expired (event time): the next emission does not match; the alert is visible again.
    await store.insertAlerts([alert('s1', { count: 2, last_seen: '2026-11-02T12:00:00.000Z' })]);
    const back = await store.getAlert('s1');
    expect(back?.status).toBe('new');
    expect(back?.suppression_id).toBeUndefined();
    // Resolved by an analyst, then a matching emission: still resolved.
    await store.updateAlertStatus('s2', 'resolved', 'checked', 'token:t1', NOW);
    await store.insertAlerts([suppressed('s2', { count: 2 })]);
    expect(await store.getAlert('s2')).toMatchObject({ status: 'resolved' });
    expect((await store.getAlert('s2'))?.suppression_id).toBeUndefined();
  });
});

describe('suppression store', () => {
  it('creates, lists (in force / all), deletes; hits count each alert once and survive a restart', async () => {
    const database = uniqueDb();
    const store = newStore({ database });
    await store.migrate();
    const s = await store.suppressions.create({ match: { tool: 'erp.*' }, reason: 'nightly sync', author: 'token:abc', expiresAtMs: NOW + DAY }, NOW);
    expect(s).toMatchObject({
      match: { tool: 'erp.*' },
      reason: 'nightly sync',
      author: 'token:abc',
      created_at: new Date(NOW).toISOString(),
      expires_at: new Date(NOW + DAY).toISOString(),
      hits: 0,
      last_hit: null,
      expired: false,
      deleted_at: null,
    });
    const other = await store.suppressions.create({ match: { category: 'runtime' }, reason: 'lab', author: 'bootstrap', expiresAtMs: NOW + 2 * DAY }, NOW + 1);
    expect((await store.suppressions.list({ nowMs: NOW })).map((x) => x.id)).toEqual([s.id, other.id]);
    // Expired at the asking time: listed only with includeExpired, but still handed to the engines (event time).
    expect((await store.suppressions.list({ nowMs: NOW + DAY })).map((x) => x.id)).toEqual([other.id]);
    expect((await store.suppressions.list({ nowMs: NOW + DAY, includeExpired: true })).find((x) => x.id === s.id)?.expired).toBe(true);
    expect((await store.suppressions.inForce()).map((x) => x.id)).toEqual([s.id, other.id]);

    const hit = suppressed('h1', { suppression_id: s.id });
    await store.suppressions.recordHits([hit, alert('h9')]);
    await store.suppressions.recordHits([{ ...hit, count: 2, last_seen: '2026-11-02T09:30:00.000Z' }]);
    await store.suppressions.recordHits([suppressed('h2', { suppression_id: s.id })]);
    const counted = await store.suppressions.get(s.id, NOW);
    expect(counted).toMatchObject({ hits: 2, last_hit: '2026-11-02T09:30:00.000Z' });

    const deleted = await store.suppressions.remove(other.id, NOW + 5);
    expect(deleted?.deleted_at).toBe(new Date(NOW + 5).toISOString());
    expect((await store.suppressions.remove(other.id, NOW + 9))?.deleted_at).toBe(new Date(NOW + 5).toISOString());
    expect(await store.suppressions.remove('nope', NOW)).toBeNull();
    expect((await store.suppressions.inForce()).map((x) => x.id)).toEqual([s.id]);
    expect((await store.suppressions.list({ nowMs: NOW })).map((x) => x.id)).toEqual([s.id]);
    await store.close();

    const again = newStore({ database });
    expect(await again.suppressions.get(s.id, NOW)).toMatchObject({ hits: 2, last_hit: '2026-11-02T09:30:00.000Z' });
    expect((await again.suppressions.list({ nowMs: NOW, includeExpired: true })).map((x) => [x.id, x.deleted_at !== null])).toEqual([
      [s.id, false],
      [other.id, true],
    ]);
  });
});
