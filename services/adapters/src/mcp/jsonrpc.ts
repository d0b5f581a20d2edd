import { isObject } from '../common.ts';
import { describe } from '../json-values.ts';

export type RequestId = string | number;

/** One JSON-RPC 2.0 message, classified (MCP uses requests, notifications and responses; batches were dropped in 2025-06-18). */
export type JsonRpcMessage =
  | { type: 'request'; id: RequestId; method: string; params: unknown }
  | { type: 'notification'; method: string; params: unknown }
  | { type: 'response'; id: RequestId | null; result?: unknown; error?: unknown }
  | { type: 'invalid'; problem: string };

const MAX_ID_CHARS = 256;
const MAX_METHOD_CHARS = 256;

export function classify(message: unknown): JsonRpcMessage {
  if (!isObject(message)) return { type: 'invalid', problem: `message: expected a JSON-RPC object, got ${describe(message)}` };
  if (message['jsonrpc'] !== '2.0') return { type: 'invalid', problem: `jsonrpc: expected "2.0", got ${describe(message['jsonrpc'])}` };
  const method = message['method'];
  const id = message['id'];
  if (method !== undefined) {
    if (typeof method !== 'string' || method.length === 0 || method.length > MAX_METHOD_CHARS) {
      return { type: 'invalid', problem: `method: expected a method name, got ${describe(method)}` };
    }
    if (id === undefined) return { type: 'notification', method, params: message['params'] };
    if (!isRequestId(id)) return { type: 'invalid', problem: `id: expected a string or integer request id, got ${describe(id)}` };
    return { type: 'request', id, method, params: message['params'] };
  }
  if ('result' in message || 'error' in message) {
    if (id !== null && id !== undefined && !isRequestId(id)) {
      return { type: 'invalid', problem: `id: expected a string or integer request id, got ${describe(id)}` };
    }
    return { type: 'response', id: id ?? null, result: message['result'], error: message['error'] };
  }
  return { type: 'invalid', problem: 'message: not a JSON-RPC request, notification or response (no method, result or error)' };
}

function isRequestId(v: unknown): v is RequestId {
  return (typeof v === 'string' && v.length > 0 && v.length <= MAX_ID_CHARS) || (typeof v === 'number' && Number.isSafeInteger(v));
}

/** The id as a map key: `1` and `"1"` are different JSON-RPC ids. */
export const idKey = (id: RequestId): string => (typeof id === 'number' ? `n:${id}` : `s:${id}`);

/** Methods the server sends to the client; their ids live in the server's id space. */
export const SERVER_TO_CLIENT_METHODS = new Set(['sampling/createMessage', 'elicitation/create', 'roots/list']);
