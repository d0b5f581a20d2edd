import { readdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { createStore, DEFAULT_MIGRATIONS_DIR, loadMigrations, type Store, splitStatements } from '../src/index.ts';
import { closeAll, DATA_DIR, newStore, uniqueDb } from './helpers.ts';

afterAll(closeAll);

const tableInfo = async (store: Store, name: string) => {
  const rs = await store.client.query({
    query: 'SELECT engine, engine_full FROM system.tables WHERE database = {db:String} AND name = {name:String}',
    query_params: { db: store.database, name },
    format: 'JSONEachRow',
  });
  return (await rs.json<{ engine: string; engine_full: string }>())[0];
};

describe('migrations', () => {
  it('splits files into statements, ignoring comment lines', () => {
    expect(splitStatements('-- a; comment\nCREATE TABLE x\n(a String);\n\n-- b\nCREATE VIEW y AS SELECT 1;\n')).toEqual([
      'CREATE TABLE x\n(a String)',
      'CREATE VIEW y AS SELECT 1',
    ]);
  });

  it('loads every NNN_*.sql file in version order', () => {
    const files = readdirSync(DEFAULT_MIGRATIONS_DIR).filter((f) => /^\d{3}_.*\.sql$/.test(f));
    const migrations = loadMigrations();
    expect(migrations.map((m) => m.version)).toEqual([...migrations.map((m) => m.version)].sort((a, b) => a - b));
    expect(migrations).toHaveLength(files.length);
    expect(migrations[0]?.name).toBe('events');
    for (const m of migrations) expect(m.statements.length).toBeGreaterThan(0);
  });

  it('applies each migration once, records it, and a re-run (same or new store) is a no-op', async () => {
    const database = uniqueDb();
    const store = newStore({ database });
    const n = loadMigrations().length;
    const first = await store.migrate();
    expect(first.applied).toHaveLength(n);
    expect(first.applied[0]).toBe('001_events');
    expect(first.alreadyApplied).toBe(0);

    const again = await store.migrate();
    expect(again).toEqual({ applied: [], alreadyApplied: n });

    const other = newStore({ database });
    expect((await other.migrate()).applied).toEqual([]);

    const rs = await store.client.query({ query: `SELECT version, name FROM ${database}.schema_migrations ORDER BY version`, format: 'JSONEachRow' });
    const rows = await rs.json<{ version: number; name: string }>();
    expect(rows.map((r) => r.version)).toEqual(loadMigrations().map((m) => m.version));

    expect((await tableInfo(store, 'events'))?.engine).toBe('ReplacingMergeTree');
    expect((await tableInfo(store, 'alerts'))?.engine).toBe('ReplacingMergeTree');
    expect((await tableInfo(store, 'alert_status_history'))?.engine).toBe('ReplacingMergeTree');
    expect((await tableInfo(store, 'agent_hourly'))?.engine).toBe('AggregatingMergeTree');
    expect((await tableInfo(store, 'agent_hourly_mv'))?.engine).toBe('MaterializedView');
    expect((await tableInfo(store, 'tokens'))?.engine).toBe('ReplacingMergeTree');
    expect((await tableInfo(store, 'registry_versions'))?.engine).toBe('ReplacingMergeTree');
  });

  it('sets, changes and removes the events TTL from config', async () => {
    const database = uniqueDb();
    const a = newStore({ database, eventsTtlDays: 30 });
    await a.migrate();
    expect((await tableInfo(a, 'events'))?.engine_full).toMatch(/TTL toDateTime\(ingested_at\) \+ toIntervalDay\(30\)/);

    const b = newStore({ database, eventsTtlDays: 7 });
    await b.migrate();
    expect((await tableInfo(b, 'events'))?.engine_full).toMatch(/toIntervalDay\(7\)/);

    const c = newStore({ database });
    await c.migrate();
    expect((await tableInfo(c, 'events'))?.engine_full).not.toMatch(/\bTTL\b/);
  });

  it('with a URL it talks to a server through the same client (none listens here: the error surfaces)', async () => {
    const s = createStore({ clickhouseUrl: 'http://127.0.0.1:1', dataDir: DATA_DIR, database: uniqueDb() });
    expect(s.engine).toBe('server');
    await expect(s.migrate()).rejects.toThrow();
    await s.close();
  });

  it('rejects a database name that is not an identifier', () => {
    expect(() => createStore({ dataDir: DATA_DIR, database: 'x; DROP DATABASE y' })).toThrow(/database name/);
  });
});
