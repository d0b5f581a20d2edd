import { type AlertStatus, type Category, SEVERITIES, type Severity, severityRank } from '@agentwatch/schemas';
import { toMs } from './rows.ts';

/**
 * How an alert list is ordered: a key and a direction, ties broken by alert_id in the same direction, so the order is
 * total and a keyset cursor (the last row's key and alert_id) pages through every match exactly once.
 */
export const ALERT_SORTS = ['last_seen', '-last_seen', 'risk_score', '-risk_score', 'first_seen', '-first_seen'] as const;
export type AlertSort = (typeof ALERT_SORTS)[number];

/** The store's order when none is asked for (1.0's "newest first": first_seen never moves, so paging is stable). */
export const DEFAULT_STORE_SORT: AlertSort = '-first_seen';

/** Most words of a `q` search, and the longest word, in characters (the API refuses more with a 400). */
export const MAX_Q_WORDS = 8;
export const MAX_Q_WORD_CHARS = 64;

/** Column and type of each sort key; times compare as epoch ms. */
const SORT_KEYS = {
  last_seen: { column: 'last_seen', time: true },
  first_seen: { column: 'first_seen', time: true },
  risk_score: { column: 'risk_score', time: false },
} as const;

/** A `cursor` that this store did not produce, or one made for another sort. */
export class InvalidCursorError extends Error {
  constructor(cursor: string, reason?: string) {
    super(reason ?? `invalid cursor: ${JSON.stringify(cursor.length > 64 ? `${cursor.slice(0, 64)}...` : cursor)}`);
    this.name = 'InvalidCursorError';
  }
}

/** Alert list filters; every one optional. Times are RFC 3339 text, Date or epoch ms. Add a filter here and in {@link alertsWhere}. */
export interface AlertFilters {
  /** Alerts active at or after this time (last_seen >= since). */
  since?: string | number | Date;
  /** Alerts that started before this time (first_seen < until). */
  until?: string | number | Date;
  /** Minimum severity: `high` gives high and critical. */
  severity?: Severity;
  category?: Category | Category[];
  rule_id?: string | string[];
  agent_id?: string | string[];
  status?: AlertStatus | AlertStatus[];
  /** The agent's owner (exact; any of several). */
  owner?: string | string[];
  /** Exact assignee; null: unassigned alerts only. */
  assignee?: string | null;
  /** Tags the alert must all carry. */
  tag?: string | string[];
  /** Words that must all appear, case-insensitively, in the title or the summary (each word in either). */
  q?: string[];
  /** Only the alerts of this incident (the store looks its alert ids up: store.incidents.alertIds). */
  incident_id?: string;
  /** Default {@link DEFAULT_STORE_SORT}. */
  sort?: AlertSort;
  /** Page size, 1..1000, default 100. */
  limit?: number;
  /** `next_cursor` of the previous page, made with the same sort. */
  cursor?: string | null;
}

const asArray = <T>(v: T | T[] | undefined): T[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? v : [v]);

/** A WHERE clause (conditions joined by AND) and its `{name:Type}` parameters. */
export interface SqlWhere {
  where: string[];
  params: Record<string, unknown>;
}

/** The filter conditions of an alert list (no cursor, no order): shared by pages, counts and streams. */
export function alertsWhere(filters: AlertFilters): SqlWhere {
  const where: string[] = [];
  const params: Record<string, unknown> = {};
  if (filters.since !== undefined) {
    where.push(`last_seen >= fromUnixTimestamp64Milli({since:Int64}, 'UTC')`);
    params['since'] = toMs(filters.since);
  }
  if (filters.until !== undefined) {
    where.push(`first_seen < fromUnixTimestamp64Milli({until:Int64}, 'UTC')`);
    params['until'] = toMs(filters.until);
  }
  if (filters.severity !== undefined) {
    if (!(SEVERITIES as readonly string[]).includes(filters.severity)) throw new Error(`severity: expected one of ${SEVERITIES.join(', ')}`);
    where.push('severity_rank >= {sev:UInt8}');
    params['sev'] = severityRank(filters.severity);
  }
  const inList = (column: string, values: string[] | undefined): void => {
    if (values === undefined) return;
    where.push(`${column} IN {${column}:Array(String)}`);
    params[column] = values;
  };
  inList('category', asArray(filters.category));
  inList('rule_id', asArray(filters.rule_id));
  inList('agent_id', asArray(filters.agent_id));
  inList('status', asArray(filters.status));
  inList('owner', asArray(filters.owner));
  if (filters.assignee === null) where.push('assignee IS NULL');
  else if (filters.assignee !== undefined) {
    where.push('assignee = {assignee:String}');
    params['assignee'] = filters.assignee;
  }
  const tags = asArray(filters.tag);
  if (tags?.length) {
    where.push('hasAll(tags, {tags:Array(String)})');
    params['tags'] = tags;
  }
  const words = filters.q ?? [];
  if (words.length > MAX_Q_WORDS) throw new Error(`q: at most ${MAX_Q_WORDS} words`);
  words.forEach((w, i) => {
    if (w === '' || [...w].length > MAX_Q_WORD_CHARS) throw new Error(`q: each word 1 to ${MAX_Q_WORD_CHARS} characters`);
    // Substring match in either text; parameters, never spliced (a word may hold quotes or %).
    // An ASCII word takes the byte-wise search (UTF-8 text holds no ASCII byte inside a multi-byte character): about
    // half the time of the UTF-8 case folding over 1M alerts (bench:api).
    const fn = /^[\x20-\x7e]*$/.test(w) ? 'positionCaseInsensitive' : 'positionCaseInsensitiveUTF8';
    where.push(`(${fn}(title, {q${i}:String}) > 0 OR ${fn}(summary, {q${i}:String}) > 0)`);
    params[`q${i}`] = w;
  });
  return { where, params };
}

interface DecodedCursor {
  sort: AlertSort;
  key: number;
  id: string;
}

export function encodeCursor(sort: AlertSort, key: number, alertId: string): string {
  return Buffer.from(JSON.stringify([sort, key, alertId]), 'utf8').toString('base64url');
}

/** Reads a cursor; a 1.0 cursor (`[first_seen_ms, id]`) pages `-first_seen`. */
export function decodeCursor(cursor: string): DecodedCursor {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError(cursor);
  }
  if (Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) && typeof v[1] === 'string') return { sort: '-first_seen', key: v[0], id: v[1] };
  if (Array.isArray(v) && v.length === 3 && (ALERT_SORTS as readonly unknown[]).includes(v[0]) && Number.isSafeInteger(v[1]) && typeof v[2] === 'string')
    return { sort: v[0] as AlertSort, key: v[1] as number, id: v[2] };
  throw new InvalidCursorError(cursor);
}

/** ORDER BY, the cursor's condition and how to read the key of a row, for one sort. */
export function alertsOrder(sort: AlertSort, cursor: string | null | undefined): { orderBy: string; after: SqlWhere; keyColumn: string } {
  const desc = sort.startsWith('-');
  const name = (desc ? sort.slice(1) : sort) as keyof typeof SORT_KEYS;
  const k = SORT_KEYS[name];
  const dir = desc ? 'DESC' : 'ASC';
  const keyColumn = k.time ? `toUnixTimestamp64Milli(${k.column})` : `toInt64(${k.column})`;
  const after: SqlWhere = { where: [], params: {} };
  if (cursor) {
    const c = decodeCursor(cursor);
    if (c.sort !== sort)
      throw new InvalidCursorError(cursor, `this cursor pages sort=${c.sort}, the request asks for sort=${sort}: start again without a cursor`);
    const key = k.time ? `fromUnixTimestamp64Milli({c_key:Int64}, 'UTC')` : '{c_key:Int64}';
    after.where.push(`(${k.column}, alert_id) ${desc ? '<' : '>'} (${key}, {c_id:String})`);
    after.params['c_key'] = c.key;
    after.params['c_id'] = c.id;
  }
  return { orderBy: `${k.column} ${dir}, alert_id ${dir}`, after, keyColumn };
}
