import { isObject } from '../common.ts';
import type { RecordAdapter } from '../types.ts';
import { McpToolCallAdapter } from './adapter.ts';
import { McpOptions, type McpOptionsInput } from './options.ts';

export { McpOptions, type McpOptionsInput } from './options.ts';

/**
 * MCP gateway/proxy logs -> `tool_call` events, one per answered (or given-up) `tools/call`. Stateful:
 * requests wait for their responses, so use one adapter per input stream and call `flush` at its end.
 * Options are validated here (a bad regex or limit throws at start-up).
 */
export function createMcpAdapter(options: McpOptionsInput = {}): RecordAdapter {
  return new McpToolCallAdapter(McpOptions.parse(options));
}

/**
 * True for a JSON-RPC 2.0 message (`jsonrpc: "2.0"` with `method`, `result` or `error`) or a gateway
 * envelope whose `message` (or `payload`/`body`) is one.
 */
export function detectMcp(record: unknown): boolean {
  if (!isObject(record) || ('kind' in record && 'event_id' in record)) return false;
  if (isJsonRpc(record)) return true;
  for (const key of ['message', 'payload', 'body']) {
    const inner = record[key];
    if (isJsonRpc(inner) || (Array.isArray(inner) && isJsonRpc(inner[0]))) return true;
    if (typeof inner === 'string' && inner.length < 1_048_576 && inner.includes('"jsonrpc"')) {
      try {
        if (isJsonRpc(JSON.parse(inner))) return true;
      } catch {
        // not JSON text: not an MCP envelope
      }
    }
  }
  return false;
}

function isJsonRpc(v: unknown): boolean {
  return isObject(v) && v['jsonrpc'] === '2.0' && ('method' in v || 'result' in v || 'error' in v);
}
