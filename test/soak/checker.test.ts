import { describe, expect, it } from 'vitest';
import { checkSoak, type SoakObservations } from './checker.ts';

/** Six events on two partitions, two alerts; collector a held P0 then handed it to b, b held P1 throughout. */
const base = (): SoakObservations => ({
  produced: [
    { id: 'e1', partition: 0 },
    { id: 'e2', partition: 0 },
    { id: 'e3', partition: 0 },
    { id: 'e4', partition: 1 },
    { id: 'e5', partition: 1 },
    { id: 'e6', partition: 1 },
  ],
  topicEvents: 6,
  stores: {
    // e2 stored by a after its last checkpoint, then again by b after P0 moved: allowed.
    a: { ids: ['e1', 'e2'], duplicateIds: [], alerts: [{ alert_id: 'x', count: 2, rows: 1 }] },
    b: {
      ids: ['e2', 'e3', 'e4', 'e5', 'e6'],
      duplicateIds: [],
      alerts: [
        { alert_id: 'x', count: 3, rows: 1 },
        { alert_id: 'y', count: 1, rows: 1 },
      ],
    },
  },
  held: { a: [0], b: [0, 1] },
  expected: new Map([
    ['x', 3],
    ['y', 1],
  ]),
  topicAlerts: new Map([
    ['x', 3],
    ['y', 1],
  ]),
});

const failed = (o: SoakObservations) =>
  checkSoak(o)
    .checks.filter((c) => !c.ok)
    .map((c) => c.name);

describe('soak checker', () => {
  it('passes a run where a moved partition was re-stored by its new owner', () => {
    const r = checkSoak(base());
    expect(failed(base())).toEqual([]);
    expect(r.counts.events).toEqual({ produced: 6, stored: 6, duplicates: 0, lost: 0, crossStoreCopies: 1 });
    expect(r.counts.alerts).toMatchObject({ expected: 2, found: 2, extra: 0, wrongCount: 0, storedFound: 2, storedExtra: 0 });
  });

  it('fails a lost event, a duplicate within a store, and a copy on a partition that never moved', () => {
    const o = base();
    o.stores['b'] = { ...(o.stores['b'] as SoakObservations['stores'][string]), ids: ['e2', 'e3', 'e5', 'e6'], duplicateIds: ['e5'] };
    // e6 (P1, held only by b) also in a: not explained by a handover.
    o.stores['a'] = { ...(o.stores['a'] as SoakObservations['stores'][string]), ids: ['e1', 'e2', 'e6'] };
    const r = checkSoak(o);
    expect(failed(o)).toEqual([
      'no produced event lost (in no store)',
      'no event twice in one store (FINAL)',
      'an event in two stores only on a partition both held',
    ]);
    expect(r.counts.events).toMatchObject({ lost: 1, duplicates: 2 });
  });

  it('fails a missing alert, an extra one, a wrong count and an alert stored twice', () => {
    const o = base();
    o.topicAlerts = new Map([
      ['x', 4],
      ['z', 1],
    ]);
    o.stores['b'] = { ...(o.stores['b'] as SoakObservations['stores'][string]), alerts: [{ alert_id: 'x', count: 3, rows: 2 }] };
    expect(failed(o)).toEqual([
      'alerts topic: every replay alert present',
      'alerts topic: no extra alert',
      "alerts topic: each alert with replay's count",
      'stores: every replay alert stored',
      'stores: no alert id twice in one store (FINAL)',
    ]);
    expect(checkSoak(o).counts.alerts).toMatchObject({ expected: 2, found: 1, extra: 1, wrongCount: 1 });
  });

  it('fails when the broker holds more or fewer events than were produced, or replay raised nothing', () => {
    const o = base();
    o.topicEvents = 7;
    o.expected = new Map();
    o.topicAlerts = new Map();
    o.stores = { a: { ids: ['e1', 'e2', 'e3', 'e4', 'e5', 'e6'], duplicateIds: [], alerts: [] } };
    expect(failed(o)).toEqual(['the broker holds every produced event once', 'replay raised alerts to compare with']);
  });
});
