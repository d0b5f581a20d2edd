/**
 * Pure helpers for inserting event rows safely: where each row starts and ends in a rendered chunk, which day
 * (partition) it lands in, how to cut an insert so it never spans more partitions than ClickHouse takes in one block,
 * and whether an insert error is the data's fault (isolate the row) or the store's (retry later).
 */

/**
 * The range `events.time` holds (ClickHouse DateTime64 covers 1900-01-01 .. 2299-12-31). An event's time is a claim
 * (events.md 1.1): a claim outside it is stored with `time` clamped to the nearest end, and `raw` keeps the claim as
 * sent. Migration 011 clamps the same way in the materialized view.
 */
export const MIN_STORED_TIME_MS = Date.UTC(1900, 0, 1);
export const MAX_STORED_TIME_MS = Date.UTC(2299, 11, 31, 23, 59, 59, 999);

const DAY_MS = 86_400_000;

/** The `time` value stored for an event time claim (ms), see {@link MIN_STORED_TIME_MS}. */
export const clampStoredTimeMs = (ms: number): number => (ms < MIN_STORED_TIME_MS ? MIN_STORED_TIME_MS : ms > MAX_STORED_TIME_MS ? MAX_STORED_TIME_MS : ms);

/**
 * The day an event is partitioned by (`PARTITION BY toDate(time)`), as days since the epoch of the clamped time. Two
 * different days here are at most two partitions there (never fewer days than partitions), so counting these bounds
 * an insert's partitions. A time that does not parse counts as a day of its own (NaN is kept out of every group).
 */
export const partitionDay = (timeMs: number): number => (Number.isFinite(timeMs) ? Math.floor(clampStoredTimeMs(timeMs) / DAY_MS) : Number.NaN);

/**
 * ClickHouse's `max_partitions_per_insert_block` default: an insert touching more partitions fails whole ("Too many
 * partitions for single INSERT block"). Inserts are cut to stay within it instead of raising it: each partition an
 * insert touches is a new part, and a block over hundreds of days is hundreds of small parts to merge.
 */
export const DEFAULT_MAX_PARTITIONS_PER_INSERT = 100;

/**
 * Indexes `0..days.length-1` cut into groups of at most `limit` distinct days each, rows of one day together and in
 * their order; one group (all indexes, in order) when the rows span `limit` days or fewer.
 */
export function groupByPartition(days: ArrayLike<number>, limit: number): number[][] {
  const byDay = new Map<number, number[]>();
  for (let i = 0; i < days.length; i++) {
    const d = days[i] as number;
    const key = Number.isNaN(d) ? -1e9 - i : d;
    const list = byDay.get(key);
    if (list) list.push(i);
    else byDay.set(key, [i]);
  }
  if (byDay.size <= limit) return [Array.from({ length: days.length }, (_, i) => i)];
  const keys = [...byDay.keys()].sort((a, b) => a - b);
  const groups: number[][] = [];
  for (let k = 0; k < keys.length; k += limit) {
    const group: number[] = [];
    for (const key of keys.slice(k, k + limit)) group.push(...(byDay.get(key) as number[]));
    groups.push(group);
  }
  return groups;
}

/**
 * ClickHouse error codes that mean "this data cannot be stored" (parse and conversion errors): the same rows fail the
 * same way every time, so the bad row is isolated and rejected. Anything else (a connection error, a timeout, memory,
 * too many parts, a missing table) is the store's problem: the insert fails as a whole and the caller retries.
 */
const ROW_ERROR_CODES = new Set([
  6, // CANNOT_PARSE_TEXT
  25, // CANNOT_PARSE_ESCAPE_SEQUENCE
  26, // CANNOT_PARSE_QUOTED_STRING
  27, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  32, // ATTEMPT_TO_READ_AFTER_EOF
  38, // CANNOT_PARSE_DATE
  41, // CANNOT_PARSE_DATETIME
  53, // TYPE_MISMATCH
  69, // ARGUMENT_OUT_OF_BOUND
  70, // CANNOT_CONVERT_TYPE
  72, // CANNOT_PARSE_NUMBER
  117, // INCORRECT_DATA
  131, // TOO_LARGE_STRING_SIZE
  321, // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
  407, // DECIMAL_OVERFLOW
]);

/**
 * The ClickHouse error code of an error: `code` of @clickhouse/client's ClickHouseError (a numeric string), or
 * `clickhouseCode` of chdb's own errors, looked for along the `cause` chain.
 */
export function clickHouseCode(error: unknown): number | undefined {
  for (let e = error as { code?: unknown; clickhouseCode?: unknown; cause?: unknown } | null, depth = 0; e && depth < 5; depth++) {
    for (const c of [e.code, e.clickhouseCode]) if ((typeof c === 'number' || typeof c === 'string') && /^\d+$/.test(String(c))) return Number(c);
    e = e.cause as typeof e;
  }
  return undefined;
}

/** Whether an insert error is the data's fault (see {@link ROW_ERROR_CODES}). */
export function isRowError(error: unknown): boolean {
  const code = clickHouseCode(error);
  return code !== undefined && ROW_ERROR_CODES.has(code);
}

/** The first line of an insert error, short enough for a reject reason. */
export function rowErrorReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const first = message.split('\n')[0] ?? '';
  const code = clickHouseCode(error);
  const text = first.length > 300 ? `${first.slice(0, 300)}…` : first;
  return `the store refused this event${code === undefined ? '' : ` (ClickHouse error ${String(code)})`}: ${text}`;
}
