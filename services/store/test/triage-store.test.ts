import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../src/index.ts';
import { alert, closeAll, openStore } from './helpers.ts';

afterAll(closeAll);

describe('triage store', () => {
  let store: Store;
  const t0 = Date.UTC(2026, 10, 3, 8);
  beforeAll(async () => {
    store = await openStore();
    await store.insertAlerts(['x1', 'x2', 'x3'].map((id) => alert(id)));
  });

  it('one change to many alerts: one history row each; a replay of the same change is recorded once', async () => {
    const change = { status: 'acknowledged' as const, assignee: 'bob', comment: 'batch' };
    const r = await store.triage.changeAlerts(['x1', 'x2', 'nope'], change, 'token:t1', t0);
    expect(r.not_found).toEqual(['nope']);
    expect(r.updated.map((a) => [a.alert_id, a.status, a.assignee])).toEqual([
      ['x1', 'acknowledged', 'bob'],
      ['x2', 'acknowledged', 'bob'],
    ]);
    await store.triage.changeAlerts(['x1', 'x2'], change, 'token:t1', t0);
    for (const id of ['x1', 'x2'])
      expect(await store.triage.history(id)).toEqual([
        {
          alert_id: id,
          at: new Date(t0).toISOString(),
          from_status: 'new',
          status: 'acknowledged',
          comment: 'batch',
          actor: 'token:t1',
          assignee: 'bob',
          from_assignee: null,
        },
      ]);
  });

  it('an older change arriving late goes to history only', async () => {
    await store.triage.changeAlerts(['x1'], { assignee: 'late' }, 'token:t2', t0 - 60_000);
    expect(await store.getAlert('x1')).toMatchObject({ assignee: 'bob' });
    expect((await store.triage.history('x1')).map((h) => h.assignee)).toEqual(['late', 'bob']);
  });

  it('re-emissions racing triage changes never lose the assignee or the status', async () => {
    for (let i = 0; i < 5; i++) {
      await Promise.all([
        store.insertAlerts([alert('x3', { count: 10 + i, last_seen: new Date(t0 + i * 1000).toISOString() })]),
        store.triage.changeAlerts(['x3'], { assignee: `p${i}`, status: 'acknowledged' }, 'token:t3', t0 + i),
        store.insertAlerts([alert('x3', { count: 20 + i, last_seen: new Date(t0 + i * 2000).toISOString() })]),
      ]);
      expect(await store.getAlert('x3')).toMatchObject({ assignee: `p${i}`, status: 'acknowledged', count: 20 + i });
    }
  });

  it('an identical comment soon after is the same comment; after the retry window it is a new one', async () => {
    const a = await store.triage.addComment('x1', 'same', 'token:t1', t0);
    const b = await store.triage.addComment('x1', 'same', 'token:t1', t0 + 5_000);
    const other = await store.triage.addComment('x1', 'same', 'token:t9', t0 + 5_000);
    const later = await store.triage.addComment('x1', 'same', 'token:t1', t0 + 11 * 60_000);
    expect(b).toEqual(a);
    expect(other?.comment_id).not.toBe(a?.comment_id);
    expect(later?.comment_id).not.toBe(a?.comment_id);
    expect(await store.triage.comments('x1')).toHaveLength(3);
    expect(await store.triage.addComment('nope', 'x', 'token:t1', t0)).toBeNull();
  });
});
