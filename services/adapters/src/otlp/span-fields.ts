import { isObject } from '../common.ts';
import { describeValue, prop } from './values.ts';

/** A parsed field, or the reason it could not be parsed (turned into a reject only if the span matters). */
export type Field<T> = { ok: true; value: T } | { ok: false; reason: string };

const ok = <T>(value: T): Field<T> => ({ ok: true, value });
const bad = <T>(reason: string): Field<T> => ({ ok: false, reason });

const ID_BYTES = { trace: 16, span: 8 } as const;

/**
 * An OTLP/JSON trace or span id: lowercase hex as the OTLP/HTTP JSON encoding specifies. Base64 of the right
 * length is accepted too, because generic protobuf JSON marshalers emit bytes that way. All-zero ids are
 * invalid per trace.proto.
 */
export function parseOtlpId(v: unknown, kind: keyof typeof ID_BYTES, field: string): Field<string> {
  const bytes = ID_BYTES[kind];
  if (typeof v !== 'string') return bad(`${field}: expected a ${bytes * 2}-digit hex ${kind} id, got ${describeValue(v)}`);
  let hex: string | undefined;
  if (v.length === bytes * 2 && /^[0-9a-fA-F]+$/.test(v)) hex = v.toLowerCase();
  else if (v.length === Math.ceil(bytes / 3) * 4 && /^[A-Za-z0-9+/_-]+={0,2}$/.test(v)) {
    const decoded = Buffer.from(v, 'base64');
    if (decoded.length === bytes) hex = decoded.toString('hex');
  }
  if (hex === undefined) return bad(`${field}: expected a ${bytes * 2}-digit hex ${kind} id, got ${describeValue(v)}`);
  if (/^0+$/.test(hex)) return bad(`${field}: an all-zero ${kind} id is invalid`);
  return ok(hex);
}

/**
 * A decimal trace or span id (any-agent writes OTel Python's integer ids) as lowercase hex. A JSON number
 * above 2^53 has already lost its low bits in JSON.parse: the result is stable but not the original id,
 * so `lossy` is set.
 */
export function parseDecimalId(v: unknown, kind: keyof typeof ID_BYTES, field: string): Field<{ hex: string; lossy: boolean }> {
  const bytes = ID_BYTES[kind];
  let n: bigint | undefined;
  let lossy = false;
  if (typeof v === 'number' && Number.isInteger(v) && v > 0) {
    n = BigInt(v);
    lossy = !Number.isSafeInteger(v);
  } else if (typeof v === 'bigint') n = v;
  else if (typeof v === 'string' && /^\d{1,40}$/.test(v)) n = BigInt(v);
  if (n === undefined || n <= 0n || n >= 1n << BigInt(bytes * 8)) {
    return bad(`${field}: expected a non-zero ${bytes * 8}-bit integer ${kind} id, got ${describeValue(v)}`);
  }
  return ok({ hex: n.toString(16).padStart(bytes * 2, '0'), lossy });
}

/** Nanoseconds since the epoch: a decimal string or an integer (OTLP/JSON allows both for 64-bit ints). */
export function parseUnixNano(v: unknown, field: string): Field<bigint> {
  let n: bigint | undefined;
  if (typeof v === 'string' && /^\d{1,25}$/.test(v)) n = BigInt(v);
  // Beyond 2^53 a JSON number has lost its low bits (spacing 256 ns near today): round to whole microseconds
  // so 1793610000005000000 does not read back as ...004999936 and land in the previous millisecond.
  else if (typeof v === 'number' && Number.isInteger(v) && v >= 0) n = Number.isSafeInteger(v) ? BigInt(v) : BigInt(Math.round(v / 1000)) * 1000n;
  else if (typeof v === 'bigint' && v >= 0n) n = v;
  if (n === undefined) return bad(`${field}: expected nanoseconds since the epoch (a decimal string or integer), got ${describeValue(v)}`);
  return ok(n);
}

const MAX_DATE_MS = 8_640_000_000_000_000n;

/** ns since the epoch -> RFC 3339 (ms), undefined for 0 (unset) or beyond what a Date can hold. */
export function unixNanoToRfc3339(ns: bigint): string | undefined {
  const ms = ns / 1_000_000n;
  if (ns === 0n || ms > MAX_DATE_MS) return undefined;
  return new Date(Number(ms)).toISOString();
}

export type StatusCode = 'unset' | 'ok' | 'error';
export interface SpanStatus {
  code: StatusCode;
  message?: string;
}

const STATUS_NAMES: Record<string, StatusCode> = {
  STATUS_CODE_UNSET: 'unset',
  STATUS_CODE_OK: 'ok',
  STATUS_CODE_ERROR: 'error',
  UNSET: 'unset',
  OK: 'ok',
  ERROR: 'error',
  'STATUSCODE.UNSET': 'unset',
  'STATUSCODE.OK': 'ok',
  'STATUSCODE.ERROR': 'error',
};
const STATUS_NUMBERS: readonly StatusCode[] = ['unset', 'ok', 'error'];

/**
 * A span status: OTLP `{code, message}` (code 0/1/2 or `STATUS_CODE_*`) or any-agent `{status_code, description}`
 * (`"ok"`, `"error"`, `"unset"`). Absent means unset, as trace.proto says.
 */
export function parseStatus(v: unknown, field: string): Field<SpanStatus> {
  if (v === undefined || v === null) return ok({ code: 'unset' });
  if (!isObject(v)) return bad(`${field}: expected an object, got ${describeValue(v)}`);
  const raw = v['code'] !== undefined ? v['code'] : v['status_code'];
  const codeField = v['code'] !== undefined ? `${field}.code` : `${field}.status_code`;
  let code: StatusCode | undefined;
  if (raw === undefined || raw === null) code = 'unset';
  else if (typeof raw === 'number') code = STATUS_NUMBERS[raw];
  else if (typeof raw === 'string') code = STATUS_NAMES[raw.toUpperCase()];
  if (code === undefined) return bad(`${codeField}: expected 0, 1, 2 or STATUS_CODE_UNSET/OK/ERROR, got ${describeValue(raw)}`);
  const message = prop(v, 'message', 'description');
  return ok(typeof message === 'string' && message.length > 0 ? { code, message } : { code });
}

const KIND_NUMBERS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];

/** Span kind as a short lowercase name (`internal`, `client`, ...); only informational, never a reject. */
export function parseKind(v: unknown): string | undefined {
  if (typeof v === 'number') return KIND_NUMBERS[v];
  if (typeof v !== 'string' || v.length === 0 || v.length > 40) return undefined;
  const name = v.toLowerCase().replace(/^(span_kind_|spankind\.)/, '');
  return KIND_NUMBERS.includes(name) ? name : undefined;
}
