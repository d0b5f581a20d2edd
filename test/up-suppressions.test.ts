import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Alert, Suppression } from '@agentwatch/schemas';
import { afterAll, describe, expect, it } from 'vitest';
import { alertOf, NEAR_MISS_MATCH, NEAR_MISS_REGISTRY, nearMisses } from './support/suppression-near-misses.ts';
import { tempDir } from './support/temp-dir.ts';
import { killAll, postEvents, spawnLocalUp, type UpProcess, waitFor } from './support/up-process.ts';

/**
 * Suppressions live (alerts.md "Suppressions", issue 14 item 3): one created through the API applies to the next
 * alerts `up` emits, without a restart; a deletion likewise; hits survive a restart.
 */
const TOKEN = 'aw_test_suppressions_0123456789abcdef';
const auth = { authorization: `Bearer ${TOKEN}` };
const dir = tempDir('aw-up-supp-');
writeFileSync(join(dir, 'registry.yaml'), NEAR_MISS_REGISTRY);
const procs: UpProcess[] = [];
afterAll(() => killAll(procs));

const getJson = async <T>(base: string, path: string): Promise<T> => {
  const r = await fetch(`${base}${path}`, { headers: auth });
  if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${await r.text()}`);
  return (await r.json()) as T;
};
const alerts = async (base: string) => (await getJson<{ alerts: Alert[] }>(base, '/v1/alerts?limit=1000')).alerts;

describe('agentwatch up: suppressions created through the API', () => {
  it('the next matching alert is stored suppressed with the suppression id, a near-miss of each field is not; delete and restart', async () => {
    const up = spawnLocalUp(dir, TOKEN);
    procs.push(up);
    const base = await up.base;
    const created = await fetch(`${base}/v1/suppressions`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ match: NEAR_MISS_MATCH, reason: 'vendor clean-up, ticket OPS-7', expires_at: new Date(Date.now() + 86_400_000).toISOString() }),
    });
    expect(created.status).toBe(201);
    const suppression = ((await created.json()) as { suppression: Suppression }).suppression;
    expect(suppression.author).toBe('bootstrap');

    // Recent event times (they must pass the arrival check), all before the expiry.
    const atMs = Date.now() - 120_000;
    const cases = nearMisses(atMs);
    await postEvents(
      base,
      auth,
      cases.map((c) => JSON.stringify(c.event)),
    );
    const stored = await waitFor(
      'every case alert stored',
      async () => {
        const list = await alerts(base);
        return cases.every((c) => alertOf(list, c)) ? list : null;
      },
      60_000,
      up.stderr,
    );
    for (const c of cases) {
      const a = alertOf(stored, c);
      if (c.suppressed) expect(a, c.what).toMatchObject({ status: 'suppressed', suppression_id: suppression.id });
      else {
        expect(a?.status, c.what).toBe('new');
        expect(a, c.what).not.toHaveProperty('suppression_id');
      }
    }
    expect(stored.filter((a) => a.status === 'suppressed')).toHaveLength(1);
    const match = cases.find((c) => c.suppressed);
    const hits = await waitFor(
      'the hit recorded',
      async () => {
        const [s] = (await getJson<{ suppressions: Suppression[] }>(base, '/v1/suppressions')).suppressions;
        return s && s.hits === 1 ? s : null;
      },
      30_000,
      up.stderr,
    );
    expect(hits.last_hit).toBe(match?.event.time);

    // Deleted: the next emission of the suppressed alert (a second matching call folds into it) is visible again.
    expect((await fetch(`${base}/v1/suppressions/${suppression.id}`, { method: 'DELETE', headers: auth })).status).toBe(200);
    await postEvents(base, auth, [JSON.stringify({ ...match?.event, event_id: 'nm-match-2', time: new Date(atMs + 1000).toISOString() })]);
    const back = await waitFor(
      'the alert visible again',
      async () => {
        const a = match ? alertOf(await alerts(base), match) : undefined;
        return a && a.count === 2 ? a : null;
      },
      60_000,
      up.stderr,
    );
    expect(back.status).toBe('new');
    expect(back).not.toHaveProperty('suppression_id');

    // Hits are stored: a restarted up lists the same.
    up.proc.kill('SIGTERM');
    expect((await up.exited).code).toBe(0);
    const again = spawnLocalUp(dir, TOKEN);
    procs.push(again);
    const base2 = await again.base;
    const all = (await getJson<{ suppressions: Suppression[] }>(base2, '/v1/suppressions?include_expired=true')).suppressions;
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ id: suppression.id, hits: 1, last_hit: match?.event.time, deleted_at: expect.any(String) });
  }, 240_000);
});
