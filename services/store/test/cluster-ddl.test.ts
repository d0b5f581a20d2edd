import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createStore,
  emptyLayout,
  LOCAL_SUFFIX,
  loadMigrations,
  REPLICA_PATH,
  renderMigrationsForCluster,
  renderStatement,
  SCHEMA_MIGRATIONS_DDL,
} from '../src/index.ts';
import { closeAll, openStore } from './helpers.ts';

afterAll(closeAll);

const CLUSTER = 'agentwatch_cluster';
const ON = `ON CLUSTER \`${CLUSTER}\``;
const layout = emptyLayout();
const rendered = renderMigrationsForCluster([{ statements: [SCHEMA_MIGRATIONS_DDL] }, ...loadMigrations()], CLUSTER, layout);

/** Tables the store's SQL names (`${db}.x`, `${ctx.db}.x`, inserts by name), and the collector's checkpoint table. */
function tablesInSql(): Set<string> {
  const names = new Set<string>();
  const dir = join(import.meta.dirname, '..', 'src');
  const files = [...readdirSync(dir).map((f) => join(dir, f)), join(import.meta.dirname, '..', '..', 'collector', 'src', 'checkpoint-store.ts')];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\$\{(?:[A-Za-z.]*\.)?db\}\.([a-z_]+)\b/g)) names.add(m[1] as string);
    for (const m of text.matchAll(/\binsert\(\s*'([a-z_]+)'/g)) names.add(m[1] as string);
    for (const m of text.matchAll(/\.database\}\.([a-z_]+)\b/g)) names.add(m[1] as string);
  }
  names.delete('table'); // `${db}.${table}`: the insert helper, its callers are collected by name
  return names;
}

/** Tables the store names that need no Distributed counterpart, and why. */
const NOT_DISTRIBUTED: Record<string, string> = {
  bench_raw_events: 'bench-only table (measureRawInsert), created by the benchmark next to events, never by migrations',
};

describe('ClickHouse cluster DDL (CLICKHOUSE_CLUSTER)', () => {
  it('every CREATE, ALTER and DROP runs ON CLUSTER', () => {
    expect(rendered.length).toBeGreaterThan(30);
    for (const stmt of rendered) {
      expect(stmt).toMatch(/^(CREATE|ALTER|DROP) /);
      expect(stmt.split('\n')[0]).toContain(ON);
    }
  });

  it('every MergeTree-family engine is Replicated at the standard path with {replica}', () => {
    let engines = 0;
    for (const stmt of rendered) {
      for (const m of stmt.matchAll(/ENGINE\s*=\s*([A-Za-z]+)(\(([^)]*(?:\)[^)]*)?)\))?/g)) {
        const name = m[1] as string;
        if (!name.endsWith('MergeTree')) {
          expect(['Null', 'Distributed']).toContain(name);
          continue;
        }
        engines++;
        expect(name).toMatch(/^Replicated[A-Za-z]*MergeTree$/);
        expect(m[3]?.startsWith(REPLICA_PATH)).toBe(true);
      }
    }
    const sources = [SCHEMA_MIGRATIONS_DDL, ...loadMigrations().flatMap((m) => m.statements)];
    const mergeTrees = sources.reduce((n, s) => n + [...s.matchAll(/ENGINE\s*=\s*[A-Za-z]*MergeTree\b/g)].length, 0);
    expect(mergeTrees).toBeGreaterThan(10);
    expect(engines).toBe(mergeTrees);
    expect(REPLICA_PATH).toBe("'/clickhouse/tables/{shard}/{database}/{table}', '{replica}'");
  });

  it('every local table has a Distributed table of the original name in front of it; views join local tables only', () => {
    const locals = rendered
      .flatMap((s) => [...(/^CREATE TABLE IF NOT EXISTS \{db\}\.([a-z_]+) /.exec(s)?.slice(1) ?? [])])
      .filter((n) => n.endsWith(LOCAL_SUFFIX));
    expect(locals.length).toBe(layout.tables.size);
    for (const local of locals) {
      const name = local.slice(0, -LOCAL_SUFFIX.length);
      const dist = rendered.find((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS {db}.${name} ${ON} AS {db}.${local}\n`));
      expect(dist, `Distributed table for ${local}`).toBeDefined();
      expect(dist).toContain(`ENGINE = Distributed('${CLUSTER}', '{db}', '${local}', `);
    }
    for (const stmt of rendered.filter((s) => s.startsWith('CREATE MATERIALIZED VIEW'))) {
      const refs = [...stmt.matchAll(/\{db\}\.([a-z_]+)/g)].map((m) => m[1] as string).slice(1);
      expect(refs.length).toBeGreaterThan(0);
      for (const r of refs) expect(r.endsWith(LOCAL_SUFFIX), `${r} in ${stmt.slice(0, 80)}`).toBe(true);
    }
    // Column changes reach the Distributed table too (inserts see its columns and defaults).
    const alters = rendered.filter((s) => s.startsWith('ALTER TABLE {db}.api_tokens '));
    expect(alters.length).toBeGreaterThan(0);
  });

  it('every table the store reads or writes has a Distributed counterpart, or a documented reason', () => {
    const used = tablesInSql();
    expect(used.has('events')).toBe(true);
    expect(used.has('collector_checkpoints')).toBe(true);
    for (const t of used) {
      if (NOT_DISTRIBUTED[t]) continue;
      expect(layout.tables.has(t), `${t} is read or written by the store but has no Distributed table`).toBe(true);
    }
  });

  it("ClickHouse's own parser accepts every rendered statement (chdb formatQuery)", async () => {
    const store = await openStore();
    for (const stmt of rendered) {
      const sql = renderStatement(stmt, 'agentwatch');
      const rs = await store.client.query({ query: 'SELECT formatQuery({q:String}) AS f', query_params: { q: sql }, format: 'JSONEachRow' });
      const [row] = await rs.json<{ f: string }>();
      expect(row?.f, sql).toContain(`ON CLUSTER ${CLUSTER}`);
    }
  });

  it('a cluster needs a ClickHouse server, and a valid name', () => {
    expect(() => createStore({ dataDir: '/nonexistent', database: 'x', cluster: CLUSTER })).toThrow(/CLICKHOUSE_URL/);
    expect(() => createStore({ dataDir: '/nonexistent', database: 'x', clickhouseUrl: 'http://localhost:1', cluster: 'a b' })).toThrow(/cluster name/);
  });
});
