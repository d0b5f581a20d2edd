/**
 * The migrations rendered for a ClickHouse cluster (`CLICKHOUSE_CLUSTER=name`, StoreConfig.cluster), the standard
 * layout for sharded, replicated tables:
 *
 * - every table of a migration becomes a local table `<name>_local` created `ON CLUSTER`, its MergeTree-family engine
 *   Replicated at `/clickhouse/tables/{shard}/{database}/{table}` with replica `{replica}` (server macros), and a
 *   Distributed table under the original name in front of it: every read and write of the store goes, unchanged,
 *   through the Distributed table;
 * - materialized views are created `ON CLUSTER` between local tables (an insert reaching a shard's local source table
 *   fills that shard's local target), so they have no Distributed counterpart: their targets do;
 * - `ALTER TABLE` runs `ON CLUSTER` on the local table and, for column changes, on the Distributed table too (its
 *   columns and defaults are the ones inserts see); `DROP` runs `ON CLUSTER`.
 *
 * Sharding: by the first column of the table's sorting key, so every copy of a row a ReplacingMergeTree collapses
 * lands on one shard (events by agent_id, alerts by alert_id...); `events_ingest` (Null, the insert path into events)
 * by the event's agent_id, the same shard as its events row. Tables filled by a materialized view (agent_hourly,
 * tokens, token_revocations) are filled on the shard of their source events, whatever their key says: their key only
 * serves direct inserts, which they never get. Insert deduplication tokens work per shard: use
 * synchronous distributed inserts (`distributed_foreground_insert = 1`, see the README).
 */

/** What a rendered statement set creates, for checks and docs. */
export interface ClusterLayout {
  /** Local (replicated) table by original name, and the Distributed table created in front of it. */
  tables: Map<string, { local: string; shardingKey: string }>;
  /** Materialized views (no Distributed counterpart: they write to a local table that has one). */
  views: Set<string>;
}

/** Path and replica of every Replicated* engine: the ClickHouse convention, filled by each server's macros. */
export const REPLICA_PATH = "'/clickhouse/tables/{shard}/{database}/{table}', '{replica}'";
/** Suffix of the local table behind a Distributed table. */
export const LOCAL_SUFFIX = '_local';

/** Sharding keys that are not the first sorting-key column. */
const SHARDING_KEYS: Record<string, string> = {
  // A Null table has no sorting key; its rows become events rows, sharded by agent_id.
  events_ingest: "cityHash64(JSONExtractString(raw, 'agent_id'))",
};

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Refuses a cluster name that is not a plain identifier (it is spliced into DDL). */
export function checkClusterName(cluster: string): string {
  if (!IDENT.test(cluster)) throw new Error(`CLICKHOUSE_CLUSTER: expected a cluster name (letters, digits, _), got ${JSON.stringify(cluster)}`);
  return cluster;
}

const quoteIdent = (s: string): string => `\`${s}\``;

/**
 * Renders one migration statement (with its `{db}` placeholder) for `cluster`; returns the statements to run in order.
 * `layout` collects the tables seen so far (a statement may refer to a table an earlier migration created).
 */
export function renderForCluster(statement: string, cluster: string, layout: ClusterLayout): string[] {
  checkClusterName(cluster);
  const on = ` ON CLUSTER ${quoteIdent(cluster)}`;
  const local = (name: string): string => (layout.tables.has(name) ? `${name}${LOCAL_SUFFIX}` : name);
  /** `{db}.name` of a known table -> its local table (view bodies, TO targets). */
  const toLocal = (sql: string): string =>
    sql.replace(/\{db\}\.([A-Za-z_][A-Za-z0-9_]*)/g, (m, name: string) => (layout.tables.has(name) ? `{db}.${local(name)}` : m));

  const create = /^CREATE TABLE (IF NOT EXISTS )?\{db\}\.([A-Za-z_][A-Za-z0-9_]*)(\s[\s\S]*)$/.exec(statement);
  if (create) {
    const [, ifNotExists = '', name = '', rest = ''] = create;
    const engine = /\bENGINE\s*=\s*([A-Za-z]+)(\s*\(([^)]*)\))?/.exec(rest);
    if (!engine) throw new Error(`cluster DDL: CREATE TABLE {db}.${name} names no engine`);
    const [whole, engineName = '', , args] = engine;
    let engineSql = whole;
    if (/MergeTree$/.test(engineName)) {
      const inner = args?.trim() ? `${REPLICA_PATH}, ${args.trim()}` : REPLICA_PATH;
      engineSql = `ENGINE = Replicated${engineName}(${inner})`;
    }
    const body = rest.replace(whole, engineSql).replace(/\bnon_replicated_deduplication_window\b/g, 'replicated_deduplication_window');
    const order = /\bORDER BY\s*\(?\s*([A-Za-z_][A-Za-z0-9_]*)/.exec(rest);
    const shardingKey = SHARDING_KEYS[name] ?? (order ? `cityHash64(${order[1]})` : 'rand()');
    const localName = `${name}${LOCAL_SUFFIX}`;
    layout.tables.set(name, { local: localName, shardingKey });
    return [
      `CREATE TABLE ${ifNotExists}{db}.${localName}${on}${body}`,
      `CREATE TABLE ${ifNotExists}{db}.${name}${on} AS {db}.${localName}\nENGINE = Distributed(${quoteString(cluster)}, '{db}', '${localName}', ${shardingKey})`,
    ];
  }

  const view = /^CREATE MATERIALIZED VIEW (IF NOT EXISTS )?\{db\}\.([A-Za-z_][A-Za-z0-9_]*)(\s[\s\S]*)$/.exec(statement);
  if (view) {
    const [, ifNotExists = '', name = '', rest = ''] = view;
    layout.views.add(name);
    return [`CREATE MATERIALIZED VIEW ${ifNotExists}{db}.${name}${on}${toLocal(rest)}`];
  }

  const alter = /^ALTER TABLE \{db\}\.([A-Za-z_][A-Za-z0-9_]*)(\s[\s\S]*)$/.exec(statement);
  if (alter) {
    const [, name = '', rest = ''] = alter;
    if (!layout.tables.has(name)) return [`ALTER TABLE {db}.${name}${on}${rest}`];
    const out = [`ALTER TABLE {db}.${local(name)}${on}${rest}`];
    // Column changes also apply to the Distributed table (its columns and defaults are what inserts see).
    if (/^\s*(ADD|MODIFY|DROP|RENAME|COMMENT) COLUMN\b/i.test(rest)) out.push(`ALTER TABLE {db}.${name}${on}${rest}`);
    return out;
  }

  const drop = /^DROP (VIEW|TABLE) (IF EXISTS )?\{db\}\.([A-Za-z_][A-Za-z0-9_]*)\s*$/.exec(statement);
  if (drop) {
    const [, what = '', ifExists = '', name = ''] = drop;
    return [`DROP ${what} ${ifExists}{db}.${name}${on}`];
  }

  throw new Error(`cluster DDL: no cluster form for statement ${JSON.stringify(statement.slice(0, 80))}`);
}

const quoteString = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export const emptyLayout = (): ClusterLayout => ({ tables: new Map(), views: new Set() });

/** Every statement of `migrations` rendered for `cluster`, in order, `{db}` still unsubstituted. */
export function renderMigrationsForCluster(migrations: ReadonlyArray<{ statements: readonly string[] }>, cluster: string, layout = emptyLayout()): string[] {
  const out: string[] = [];
  for (const m of migrations) for (const s of m.statements) out.push(...renderForCluster(s, cluster, layout));
  return out;
}
