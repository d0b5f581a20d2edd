import { createHash } from 'node:crypto';
import { getPath, isObject } from '../common.ts';
import { clip, firstStringAt, parseSourceIp, parseZonedTime } from '../json-values.ts';
import type { McpOptions } from './options.ts';

/** Largest JSON text inside an envelope that is decoded (bigger messages are rejected, never buffered). */
const MAX_MESSAGE_TEXT = 1_048_576;
/** Most messages taken from one batch. */
const MAX_BATCH = 1000;
const MAX_FIELD = 256;

export type Direction = 'c2s' | 's2c' | undefined;

/** What a gateway's log record says around the JSON-RPC message(s) it carries. */
export interface Envelope {
  messages: { message: unknown; path?: string }[];
  /** Absent when no time path holds anything; `problem` when one holds something that is not a zoned time. */
  time: { iso: string; ms: number } | { problem: string } | undefined;
  /** The session id as given (for the event), and the key used to pair within it. */
  session: string | undefined;
  sessionKey: string;
  agent: { path: string; value: string } | undefined;
  /** Set when the envelope names an agent whose id cannot be used (too long). */
  agentProblem: string | undefined;
  server: string | undefined;
  direction: Direction;
  tokenId: string | undefined;
  sourceIp: string | undefined;
  environment: string | undefined;
  onBehalfOf: string | undefined;
  /** Envelope values that did not fit a canonical field (too long, not an IP), for attributes. */
  extras: Record<string, string>;
}

export interface CompiledDirections {
  clientToServer: ReadonlySet<string>;
  serverToClient: ReadonlySet<string>;
}

/**
 * Reads the envelope. The record itself is the envelope, so a bare JSON-RPC message that a proxy
 * stamped with `time`/`session_id` works too; the message is the first of `messagePaths` holding an
 * object, a batch array or JSON text, else the record itself when it is JSON-RPC.
 */
export function readEnvelope(
  record: Record<string, unknown>,
  o: McpOptions,
  dirs: CompiledDirections,
): { ok: true; envelope: Envelope } | { ok: false; problem: string } {
  const found = findMessages(record, o.messagePaths);
  if (!found.ok) return found;
  const extras: Record<string, string> = {};

  const session = firstStringAt(record, o.sessionPaths)?.value;
  let sessionKey = session ?? '';
  if (session !== undefined && session.length > MAX_FIELD) {
    sessionKey = `sha256:${createHash('sha256').update(session).digest('hex')}`;
    extras['mcp.session_id'] = clip(session, MAX_FIELD);
  }

  const address = firstStringAt(record, o.sourceIpPaths)?.value;
  const sourceIp = address === undefined ? undefined : parseSourceIp(address);
  if (address !== undefined && sourceIp !== address) extras['mcp.source_address'] = clip(address, MAX_FIELD);

  const agent = firstStringAt(record, o.agentPaths);
  const directionText = firstStringAt(record, o.directionPaths)?.value.toLowerCase();
  const direction: Direction =
    directionText === undefined ? undefined : dirs.clientToServer.has(directionText) ? 'c2s' : dirs.serverToClient.has(directionText) ? 's2c' : undefined;

  return {
    ok: true,
    envelope: {
      messages: found.messages,
      time: readTime(record, o.timePaths),
      session: session !== undefined && session.length <= MAX_FIELD ? session : undefined,
      sessionKey,
      agent: agent && agent.value.length <= MAX_FIELD ? agent : undefined,
      agentProblem: agent && agent.value.length > MAX_FIELD ? `${agent.path}: agent id longer than ${MAX_FIELD} characters` : undefined,
      server: short(firstStringAt(record, o.serverPaths)?.value, 'mcp.server', extras),
      direction,
      tokenId: short(firstStringAt(record, o.tokenPaths)?.value, 'mcp.token_id', extras),
      sourceIp,
      environment: short(firstStringAt(record, o.environmentPaths)?.value, 'mcp.environment', extras),
      onBehalfOf: short(firstStringAt(record, o.onBehalfOfPaths)?.value, 'mcp.on_behalf_of', extras),
      extras,
    },
  };
}

function findMessages(
  record: Record<string, unknown>,
  paths: readonly string[],
): { ok: true; messages: Envelope['messages'] } | { ok: false; problem: string } {
  for (const path of paths) {
    let value = getPath(record, path);
    if (typeof value === 'string') {
      const text = value.trimStart();
      if (!text.startsWith('{') && !text.startsWith('[')) continue;
      if (value.length > MAX_MESSAGE_TEXT) return { ok: false, problem: `${path}: JSON text longer than ${MAX_MESSAGE_TEXT} characters` };
      try {
        value = JSON.parse(value);
      } catch {
        return { ok: false, problem: `${path}: not valid JSON text` };
      }
    }
    if (isObject(value)) return { ok: true, messages: [{ message: value }] };
    if (Array.isArray(value)) {
      if (value.length === 0) return { ok: false, problem: `${path}: an empty batch` };
      if (value.length > MAX_BATCH) return { ok: false, problem: `${path}: a batch of ${value.length} messages (at most ${MAX_BATCH})` };
      return { ok: true, messages: value.map((message, i) => ({ message, path: `${path}[${i}]` })) };
    }
  }
  if ('jsonrpc' in record) return { ok: true, messages: [{ message: record }] };
  return { ok: false, problem: `message: no JSON-RPC message at ${paths.join(', ')}, and the record is not one itself` };
}

function readTime(record: Record<string, unknown>, paths: readonly string[]): Envelope['time'] {
  for (const path of paths) {
    const value = getPath(record, path);
    if (value === undefined) continue;
    const t = parseZonedTime(value);
    return t.ok ? { iso: t.time, ms: Date.parse(t.time) } : { problem: `${path}: ${t.problem}` };
  }
  return undefined;
}

/** A value for an optional canonical field, or undefined with the clipped value kept in extras when too long. */
function short(value: string | undefined, attribute: string, extras: Record<string, string>): string | undefined {
  if (value === undefined || value.length <= MAX_FIELD) return value;
  extras[attribute] = clip(value, MAX_FIELD);
  return undefined;
}
