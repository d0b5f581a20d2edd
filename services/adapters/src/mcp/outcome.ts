import { isObject } from '../common.ts';
import { clip, describe, preview } from '../json-values.ts';

export type Outcome = 'success' | 'failure' | 'denied';

export type ResponseReading =
  | { kind: 'final'; outcome: Outcome; attributes: Record<string, string> }
  /** Not the call's end: the client answers the server's input requests and retries (2026-07-28 multi round-trip). */
  | { kind: 'not-final'; reason: string }
  | { kind: 'invalid'; problem: string };

export interface DenialRule {
  codes: ReadonlySet<number>;
  message: RegExp | undefined;
}

/**
 * The outcome of a `tools/call` from its response. A JSON-RPC `error` is a protocol-level failure
 * (unknown tool -32602, internal error ...), or `denied` when its code or message says a gateway
 * refused it; a result with `isError: true` is a tool execution error (failure); any other result is
 * success. `resultType: input_required` is not an outcome yet.
 */
export function readResponse(response: { result?: unknown; error?: unknown }, denial: DenialRule): ResponseReading {
  const { error, result } = response;
  if (error !== undefined && error !== null) {
    const attributes: Record<string, string> = {};
    if (!isObject(error)) {
      attributes['mcp.error'] = preview(error);
      return { kind: 'final', outcome: 'failure', attributes };
    }
    const code = error['code'];
    const message = typeof error['message'] === 'string' ? clip(error['message'], 1024) : undefined;
    if (typeof code === 'number') attributes['mcp.error.code'] = String(code);
    if (message !== undefined) attributes['mcp.error.message'] = clip(message, 256);
    if (error['data'] !== undefined) attributes['mcp.error.data'] = preview(error['data']);
    const denied = (typeof code === 'number' && denial.codes.has(code)) || (message !== undefined && denial.message?.test(message) === true);
    return { kind: 'final', outcome: denied ? 'denied' : 'failure', attributes };
  }
  if (!isObject(result)) return { kind: 'invalid', problem: `result: expected a CallToolResult object, got ${describe(result)}` };

  const attributes: Record<string, string> = {};
  const resultType = result['resultType'];
  if (typeof resultType === 'string') {
    if (resultType === 'input_required') {
      return {
        kind: 'not-final',
        reason: 'tools/call answered with resultType input_required: the client retries the call, and the retry carries the outcome',
      };
    }
    attributes['mcp.result_type'] = clip(resultType, 64);
  }
  const task = result['task'];
  if (isObject(task)) {
    if (typeof task['taskId'] === 'string') attributes['mcp.task.id'] = clip(task['taskId'], 256);
    if (typeof task['status'] === 'string') attributes['mcp.task.status'] = clip(task['status'], 64);
  }
  const isError = result['isError'];
  if (isError !== undefined && typeof isError !== 'boolean') attributes['mcp.result.is_error'] = preview(isError, 64);
  if (isError === true || isError === 'true') {
    const text = firstText(result['content']);
    if (text !== undefined) attributes['mcp.result.error_text'] = clip(text, 256);
    return { kind: 'final', outcome: 'failure', attributes };
  }
  return { kind: 'final', outcome: 'success', attributes };
}

/** The first text block of a result's content (the error message of a tool execution error). */
function firstText(content: unknown): string | undefined {
  if (!Array.isArray(content)) return undefined;
  for (let i = 0; i < content.length && i < 8; i++) {
    const block = content[i];
    if (isObject(block) && block['type'] === 'text' && typeof block['text'] === 'string') return block['text'];
  }
  return undefined;
}

/** Whether an unmatched result looks like a CallToolResult (as opposed to initialize, tools/list, sampling ... results). */
export function looksLikeToolResult(result: unknown): boolean {
  if (!isObject(result)) return false;
  return Array.isArray(result['content']) || typeof result['isError'] === 'boolean' || 'structuredContent' in result;
}
