import { isObject } from '../common.ts';

/** An attribute value as plain JSON: what OTLP's AnyValue and any-agent's flat attributes both become. */
export type AttrValue = string | number | boolean | null | AttrValue[] | { [key: string]: AttrValue };
export type AttrMap = Map<string, AttrValue>;

/** Beyond these, nested attribute values are summarised: bounded work for hostile input. */
const MAX_DEPTH = 8;
const MAX_ITEMS = 1000;
const TOO_DEEP = '[nested too deep]';

/** `o[camel]`, else `o[snake]`: protobuf's JSON mapping lets readers accept both field spellings. */
export function prop(o: Record<string, unknown>, camel: string, snake?: string): unknown {
  const v = o[camel];
  return v === undefined && snake !== undefined ? o[snake] : v;
}

/**
 * An OTLP/JSON AnyValue (`{"stringValue": "x"}`, `{"intValue": "42"}`, ...) as plain JSON. int64 arrives as a
 * string or a number; it stays a number while exact, else the decimal string. An empty AnyValue is null;
 * a malformed one is undefined (the attribute is dropped).
 */
export function anyValueToJs(v: unknown, depth = 0): AttrValue | undefined {
  if (!isObject(v)) return undefined;
  if (depth > MAX_DEPTH) return TOO_DEEP;
  const s = prop(v, 'stringValue', 'string_value');
  if (s !== undefined) return typeof s === 'string' ? s : undefined;
  const b = prop(v, 'boolValue', 'bool_value');
  if (b !== undefined) return typeof b === 'boolean' ? b : undefined;
  const i = prop(v, 'intValue', 'int_value');
  if (i !== undefined) return int64ToJs(i);
  const d = prop(v, 'doubleValue', 'double_value');
  if (d !== undefined) return doubleToJs(d);
  const a = prop(v, 'arrayValue', 'array_value');
  if (a !== undefined) {
    const values = isObject(a) ? a['values'] : undefined;
    if (values === undefined) return [];
    if (!Array.isArray(values)) return undefined;
    const out: AttrValue[] = [];
    for (const item of values.slice(0, MAX_ITEMS)) out.push(anyValueToJs(item, depth + 1) ?? null);
    return out;
  }
  const kv = prop(v, 'kvlistValue', 'kvlist_value');
  if (kv !== undefined) {
    const values = isObject(kv) ? kv['values'] : undefined;
    if (values === undefined) return {};
    if (!Array.isArray(values)) return undefined;
    const out: Record<string, AttrValue> = {};
    for (const [key, value] of keyValuesInto(values.length > MAX_ITEMS ? values.slice(0, MAX_ITEMS) : values, depth + 1, new Map())) out[key] = value;
    return out;
  }
  const bytes = prop(v, 'bytesValue', 'bytes_value');
  if (bytes !== undefined) return typeof bytes === 'string' ? bytes : undefined;
  return null;
}

function int64ToJs(v: unknown): AttrValue | undefined {
  // An unsafe integer is printed exactly (2^60 as 1152921504606846976, not 1152921504606847000), as protobuf would.
  if (typeof v === 'number') return Number.isSafeInteger(v) ? v : Number.isInteger(v) ? BigInt(v).toString() : undefined;
  if (typeof v !== 'string' || !/^-?\d{1,20}$/.test(v)) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v;
}

function doubleToJs(v: unknown): AttrValue | undefined {
  if (typeof v === 'number') return v;
  if (v === 'NaN' || v === 'Infinity' || v === '-Infinity') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

/**
 * `[{key, value}]` pairs into `out` in order; entries without a string key are ignored, and a repeated key keeps
 * its first value (also when that value was malformed and dropped). A plain loop: this runs for every attribute.
 */
function keyValuesInto(list: readonly unknown[], depth: number, out: AttrMap): AttrMap {
  let seen: Set<string> | undefined;
  for (let i = 0; i < list.length; i++) {
    const entry = list[i];
    if (!isObject(entry)) continue;
    const key = entry['key'];
    if (typeof key !== 'string' || out.has(key) || seen?.has(key)) continue;
    const value = anyValueToJs(entry['value'], depth);
    // A malformed first value is remembered only so a later duplicate is not taken instead (rare).
    if (value !== undefined) out.set(key, value);
    else {
      seen ??= new Set();
      seen.add(key);
    }
  }
  return out;
}

/** OTLP/JSON `attributes` (a KeyValue list) as a map; anything but an array (or absent) is an error string. */
export function keyValueListToMap(list: unknown, field: string): AttrMap | string {
  if (list === undefined || list === null) return new Map();
  if (!Array.isArray(list)) return `${field}: expected an array of {key, value}, got ${describeValue(list)}`;
  return keyValuesInto(list, 0, new Map());
}

/** A flat attribute object (any-agent, OTel Python's `to_json`) as a map. */
export function plainAttributesToMap(o: unknown, field: string): AttrMap | string {
  if (o === undefined || o === null) return new Map();
  if (!isObject(o)) return `${field}: expected an object of attributes, got ${describeValue(o)}`;
  const out: AttrMap = new Map();
  for (const [k, v] of Object.entries(o)) {
    const value = plainToJs(v, 0);
    if (value !== undefined) out.set(k, value);
  }
  return out;
}

function plainToJs(v: unknown, depth: number): AttrValue | undefined {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'bigint') return v.toString();
  if (depth > MAX_DEPTH) return TOO_DEEP;
  if (Array.isArray(v)) return v.slice(0, MAX_ITEMS).map((x) => plainToJs(x, depth + 1) ?? null);
  if (isObject(v)) {
    const out: Record<string, AttrValue> = {};
    for (const [k, x] of Object.entries(v).slice(0, MAX_ITEMS)) {
      const value = plainToJs(x, depth + 1);
      if (value !== undefined) out[k] = value;
    }
    return out;
  }
  return undefined;
}

/** A scalar attribute as an identity-like string (non-empty string, or a finite number), else undefined. */
export function scalarString(v: AttrValue | undefined): string | undefined {
  if (typeof v === 'string') return v.length > 0 ? v : undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

/** Short description of a bad value for reject reasons: `42`, `"abc…"`, `an array`, `null`, `missing`. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing (missing)';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'bigint') return `${v}n`;
  return String(v);
}
