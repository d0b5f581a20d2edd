import { isObject, toRfc3339 } from '../common.ts';

/**
 * One Vault audit entry (file/socket device, JSON format), with the fields the mapping uses checked for
 * type. Field names follow Vault's `audit/types.go` (`entry`, `request`, `response`, `auth`).
 */
export interface AuditEntry {
  type: 'request' | 'response';
  /** Normalised RFC 3339 (ms); Vault writes nanoseconds. */
  time: string;
  /** The caller's token, as Vault resolved it; `{token_type: "default"}` or absent when it could not. */
  auth: Record<string, unknown>;
  request: VaultRequest;
  /** Present on response entries; `response.auth` is a token Vault just issued. */
  response: Record<string, unknown> | undefined;
  error: string | undefined;
  raw: Record<string, unknown>;
}

export interface VaultRequest {
  id: string | undefined;
  operation: string;
  path: string;
  mountType: string | undefined;
  mountPoint: string | undefined;
  /** Namespace path (`team-a/`), empty for the root namespace. */
  namespacePath: string;
  remoteAddress: string | undefined;
  clientToken: string | undefined;
  clientTokenAccessor: string | undefined;
  data: Record<string, unknown> | undefined;
  raw: Record<string, unknown>;
}

export type ReadEntryResult =
  | { entry: AuditEntry; reject?: undefined; skip?: undefined }
  | { reject: string; skip?: undefined; entry?: undefined }
  | { skip: string; reject?: undefined; entry?: undefined };

/** Longest request path or token string mapped; longer ones are hostile or broken, not Vault. */
export const MAX_FIELD_CHARS = 4096;

const RFC3339_SHAPE = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})$/;

/** A short description of a value for reject reasons: `42`, `null`, `an array`, `"abc…"`. */
export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return String(v);
}

class EntryError extends Error {}

function optionalString(o: Record<string, unknown>, key: string, where: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new EntryError(`${where}.${key}: expected a string, got ${describe(v)}`);
  if (v.length > MAX_FIELD_CHARS) throw new EntryError(`${where}.${key}: longer than ${MAX_FIELD_CHARS} characters (${v.length})`);
  return v;
}

function optionalObject(o: Record<string, unknown>, key: string, where: string): Record<string, unknown> | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw new EntryError(`${where}${key}: expected an object, got ${describe(v)}`);
  return v;
}

function readRequest(o: Record<string, unknown>): VaultRequest {
  const operation = optionalString(o, 'operation', 'request');
  if (operation === undefined) throw new EntryError(`request.operation: expected an operation such as "read", got ${describe(o['operation'])}`);
  const path = o['path'];
  // The root path is legitimately empty (a `help` or `list` on the root), so only the type is required.
  if (typeof path !== 'string') throw new EntryError(`request.path: expected a string, got ${describe(path)}`);
  if (path.length > MAX_FIELD_CHARS) throw new EntryError(`request.path: longer than ${MAX_FIELD_CHARS} characters (${path.length})`);
  const ns = optionalObject(o, 'namespace', 'request.');
  const nsPath = ns ? (optionalString(ns, 'path', 'request.namespace') ?? '') : '';
  return {
    id: optionalString(o, 'id', 'request'),
    operation,
    path: path.replace(/^\/+/, ''),
    mountType: optionalString(o, 'mount_type', 'request'),
    mountPoint: optionalString(o, 'mount_point', 'request'),
    namespacePath: nsPath === '' || nsPath.endsWith('/') ? nsPath : `${nsPath}/`,
    remoteAddress: optionalString(o, 'remote_address', 'request'),
    clientToken: optionalString(o, 'client_token', 'request'),
    clientTokenAccessor: optionalString(o, 'client_token_accessor', 'request'),
    data: optionalObject(o, 'data', 'request.'),
    raw: o,
  };
}

/** The auth fields used as ids must be strings when present, so a hostile value is a reject, not a silent miss. */
function checkAuth(auth: Record<string, unknown>, where: string): void {
  for (const key of ['accessor', 'client_token', 'display_name', 'entity_id', 'token_type']) optionalString(auth, key, where);
}

/**
 * Checks a decoded record is a Vault request/response audit entry. Other entry types (KMIP, ...) are
 * skipped; anything malformed is a reject naming the field.
 */
export function readEntry(record: unknown): ReadEntryResult {
  if (!isObject(record)) return { reject: `record: expected a Vault audit entry object, got ${describe(record)}` };
  const type = record['type'];
  if (typeof type !== 'string') return { reject: `type: expected "request" or "response", got ${describe(type)}` };
  if (type !== 'request' && type !== 'response') return { skip: `type ${describe(type)}: not a Vault API request/response entry` };
  const rawTime = record['time'];
  const time = typeof rawTime === 'string' && RFC3339_SHAPE.test(rawTime) ? toRfc3339(rawTime) : undefined;
  if (time === undefined) return { reject: `time: expected an RFC 3339 time, got ${describe(rawTime)}` };
  try {
    const req = optionalObject(record, 'request', '');
    if (!req) return { reject: `request: expected an object, got ${describe(record['request'])}` };
    const error = record['error'];
    if (error !== undefined && error !== null && typeof error !== 'string') return { reject: `error: expected a string, got ${describe(error)}` };
    const auth = optionalObject(record, 'auth', '') ?? {};
    checkAuth(auth, 'auth');
    const response = optionalObject(record, 'response', '');
    const newAuth = response ? optionalObject(response, 'auth', 'response.') : undefined;
    if (newAuth) checkAuth(newAuth, 'response.auth');
    return {
      entry: {
        type,
        time,
        auth,
        request: readRequest(req),
        response,
        error: typeof error === 'string' && error !== '' ? error : undefined,
        raw: record,
      },
    };
  } catch (e) {
    if (e instanceof EntryError) return { reject: e.message };
    throw e;
  }
}

/** A string field of an auth block (accessor, client_token, ...), undefined when absent or not a usable string. */
export function authString(auth: Record<string, unknown> | undefined, key: string): string | undefined {
  const v = auth?.[key];
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_FIELD_CHARS ? v : undefined;
}
