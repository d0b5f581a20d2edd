import { afterAll, describe, expect, it } from 'vitest';
import { closeAll, openStore, toolCall } from './helpers.ts';

afterAll(closeAll);

describe('queryStoredEvents (the read-back after a restart)', () => {
  it('pages through claims outside the column range (0001, 1970, 9999) once each, with their arrival', async () => {
    const s = await openStore();
    const before = await s.now();
    const times = ['0001-01-01T00:00:00.000Z', '1970-01-01T00:00:00.000Z', '2026-12-01T09:00:00.000Z', '2026-12-01T09:00:01.000Z', '9999-12-31T23:59:59.999Z'];
    await s.insertEvents(
      times.flatMap((t, i) => [toolCall(`e-${i}-a`, t), toolCall(`e-${i}-b`, t)]),
      'stored-events-cursor',
    );
    const seen: string[] = [];
    let after: { time: string; event_id: string } | undefined;
    for (let page = 0; page < 20; page++) {
      const rows = await s.queryStoredEvents({ ingestedSince: before, limit: 3, ...(after ? { after } : {}) });
      if (rows.length === 0) break;
      for (const r of rows) {
        seen.push(r.event.event_id);
        expect(r.ingestedAtMs).toBeGreaterThanOrEqual(before);
      }
      const last = rows[rows.length - 1]?.event;
      after = last ? { time: last.time, event_id: last.event_id } : undefined;
    }
    expect(seen.sort()).toEqual(times.flatMap((_, i) => [`e-${i}-a`, `e-${i}-b`]).sort());
  });
});

describe('ensureEventIdIndex (the HTTP path’s duplicate look-up)', () => {
  it('adds the event_id bloom index once (not a migration: the Kafka path does not pay for it); duplicates are found with or without it', async () => {
    const s = await openStore();
    const indexes = async () =>
      (
        await (
          await s.client.query({
            query: `SELECT name FROM system.data_skipping_indices WHERE database = {db:String} AND table = 'events'`,
            query_params: { db: s.database },
            format: 'JSONEachRow',
          })
        ).json<{ name: string }>()
      ).map((r) => r.name);
    expect(await indexes()).not.toContain('event_id_bloom');
    await s.insertEvents([toolCall('d-1', '2026-12-01T09:00:00.000Z')], 'before-index');
    expect((await s.insertEvents([toolCall('d-1', '2026-12-01T09:00:00.000Z')], 'retry-1')).duplicates).toEqual([0]);
    await s.ensureEventIdIndex();
    await s.ensureEventIdIndex();
    expect(await indexes()).toEqual(['event_id_bloom']);
    expect((await s.insertEvents([toolCall('d-1', '2026-12-01T09:00:00.000Z')], 'retry-2')).duplicates).toEqual([0]);
  });
});
