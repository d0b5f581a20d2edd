import type { Action } from '@agentwatch/schemas';
import { emptyResult, finishEvent, getPath, isObject, mergeInto, rejected, skipped, stableEventId } from '../common.ts';
import { clip, describe } from '../json-values.ts';
import type { AdapterResult, RecordAdapter } from '../types.ts';
import { resourceFromArguments, summarizeArguments } from './arguments.ts';
import { BoundedMap } from './bounded-map.ts';
import { type CompiledDirections, type Envelope, readEnvelope } from './envelope.ts';
import { classify, idKey, type RequestId, SERVER_TO_CLIENT_METHODS } from './jsonrpc.ts';
import type { McpOptions } from './options.ts';
import { type DenialRule, looksLikeToolResult, type Outcome, readResponse } from './outcome.ts';

const MAX_TOOL = 256;
const CLIENT_INFO = 'io.modelcontextprotocol/clientInfo';
const PROTOCOL_VERSION = 'io.modelcontextprotocol/protocolVersion';

/** A `tools/call` request waiting for its response. */
interface PendingCall {
  method: 'tools/call';
  key: string;
  id: RequestId;
  session: string | undefined;
  sessionKey: string;
  time: string;
  timeMs: number;
  tool: string;
  agent: { id: string; from: string } | undefined;
  envelope: Pick<Envelope, 'tokenId' | 'sourceIp' | 'environment' | 'onBehalfOf'>;
  resource: string | undefined;
  action: Action | undefined;
  attributes: Record<string, string>;
}

/** Any other request: only its method is kept, so its response is skipped with a reason rather than taken for an orphan. */
interface PendingOther {
  method: string;
}

type Pending = PendingCall | PendingOther;

/** A request already dealt with, so a duplicate or late response is skipped with a reason. */
interface Answered {
  timeMs: number;
  what: string;
}

interface ClientInfo {
  name: string;
  version: string | undefined;
}

const isCall = (p: Pending): p is PendingCall => p.method === 'tools/call';

/**
 * MCP gateway logs -> `tool_call` events. A `tools/call` request is held until its response arrives
 * (paired by JSON-RPC id within a session) and becomes one event then, timed at the request. State is
 * bounded by `maxPending` and `maxSessions`; `flush` gives back the calls never answered.
 */
export class McpToolCallAdapter implements RecordAdapter {
  readonly format = 'mcp' as const;
  private readonly pending: BoundedMap<string, Pending>;
  private readonly answered: BoundedMap<string, Answered>;
  private readonly clients: BoundedMap<string, ClientInfo>;
  private readonly denial: DenialRule;
  private readonly directions: CompiledDirections;

  constructor(private readonly o: McpOptions) {
    this.pending = new BoundedMap(o.maxPending);
    this.answered = new BoundedMap(o.maxPending);
    this.clients = new BoundedMap(o.maxSessions);
    this.denial = {
      codes: new Set(o.deniedErrorCodes),
      message: o.deniedErrorMessagePattern ? new RegExp(o.deniedErrorMessagePattern, 'i') : undefined,
    };
    const lower = (xs: string[]) => new Set(xs.map((x) => x.toLowerCase()));
    this.directions = { clientToServer: lower(o.clientToServer), serverToClient: lower(o.serverToClient) };
  }

  map(record: unknown): AdapterResult {
    try {
      if (!isObject(record)) return rejected(`record: expected a gateway log object or a JSON-RPC message, got ${describe(record)}`);
      const env = readEnvelope(record, this.o, this.directions);
      if (!env.ok) return rejected(env.problem);
      const out = emptyResult();
      for (const { message, path } of env.envelope.messages) mergeInto(out, this.mapMessage(message, env.envelope, path));
      return out;
    } catch (e) {
      return rejected(`internal error while mapping this record (a bug, please report it): ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  flush(): AdapterResult {
    const out = emptyResult();
    for (const [, p] of this.pending.drain()) if (isCall(p)) mergeInto(out, this.unanswered(p, 'no response before the end of the input'));
    this.answered.drain();
    this.clients.drain();
    return out;
  }

  private mapMessage(message: unknown, env: Envelope, path: string | undefined): AdapterResult {
    const m = classify(message);
    switch (m.type) {
      case 'invalid':
        return rejected(m.problem, path);
      case 'notification':
        if (m.method === 'notifications/cancelled') return this.cancel(m.params, env, path);
        return skipped(`notification ${clip(m.method, 80)}: not a tool call`);
      case 'request': {
        const origin = env.direction === 's2c' || SERVER_TO_CLIENT_METHODS.has(m.method) ? 's' : 'c';
        const key = pendingKey(env.sessionKey, origin, m.id);
        if (m.method === 'tools/call') return this.request(key, m.id, m.params, env, path);
        if (m.method === 'initialize') this.rememberClient(env, m.params);
        this.hold(key, { method: m.method });
        return skipped(`method ${clip(m.method, 80)}: not a tool call`);
      }
      case 'response':
        return this.response(m, env, path);
    }
  }

  /** A `tools/call` request: checked now (time, tool name), held until its response. */
  private request(key: string, id: RequestId, params: unknown, env: Envelope, path: string | undefined): AdapterResult {
    if (env.time === undefined || 'problem' in env.time) {
      this.answered.set(key, { timeMs: Number.NaN, what: 'rejected (no usable time)' });
      const problem =
        env.time === undefined
          ? `time: no time at ${this.o.timePaths.join(', ')} (a bare JSON-RPC message carries none; log it inside an envelope with a time)`
          : env.time.problem;
      return rejected(`tools/call id ${clip(String(id), 80)}: ${problem}`, path);
    }
    const time = env.time;
    if (env.agentProblem) {
      this.answered.set(key, { timeMs: time.ms, what: 'rejected (unusable agent id)' });
      return rejected(env.agentProblem, path);
    }
    const name = isObject(params) ? params['name'] : undefined;
    if (typeof name !== 'string' || name.length === 0 || name.length > MAX_TOOL) {
      this.answered.set(key, { timeMs: time.ms, what: 'rejected (no tool name)' });
      return rejected(`params.name: expected the tool name (1..${MAX_TOOL} characters), got ${describe(name)}`, path);
    }

    const before = this.answered.get(key);
    if (before?.timeMs === time.ms) return skipped('tools/call request already mapped (duplicate record)');
    const out = emptyResult();
    const held = this.pending.get(key);
    if (held && isCall(held)) {
      if (held.timeMs === time.ms) return skipped('tools/call request already waiting for its response (duplicate record)');
      this.pending.delete(key);
      mergeInto(out, this.unanswered(held, 'its id was reused by a later request before any response'));
    }
    this.answered.delete(key);

    const args = (params as Record<string, unknown>)['arguments'];
    const meta = (params as Record<string, unknown>)['_meta'];
    const tool = this.o.prefixToolWithServer && env.server ? `${env.server}${this.o.serverToolSeparator}${name}` : name;
    const client = this.clientOf(meta, env.sessionKey);
    const attributes = this.requestAttributes(id, env, meta, client?.info, args);
    const agent = env.agent
      ? { id: env.agent.value, from: `envelope ${env.agent.path}` }
      : client && this.o.agentFromClientInfo
        ? { id: this.o.clientInfoAgentPrefix + client.info.name, from: client.from }
        : undefined;

    const call: PendingCall = {
      method: 'tools/call',
      key,
      id,
      session: env.session,
      sessionKey: env.sessionKey,
      time: time.iso,
      timeMs: time.ms,
      tool,
      agent,
      envelope: { tokenId: env.tokenId, sourceIp: env.sourceIp, environment: env.environment, onBehalfOf: env.onBehalfOf },
      resource: resourceFromArguments(args, this.o.resourceArguments),
      action: actionOf(this.o.toolActions, tool, name),
      attributes,
    };
    mergeInto(out, this.hold(key, call));
    mergeInto(out, skipped('tools/call request: held until its response, which emits the event'));
    return out;
  }

  /** What the request says beyond the canonical fields: JSON-RPC id, server, protocol version, client, bounded arguments. */
  private requestAttributes(id: RequestId, env: Envelope, meta: unknown, client: ClientInfo | undefined, args: unknown): Record<string, string> {
    const attributes: Record<string, string> = { ...env.extras, 'mcp.jsonrpc_id': clip(String(id), 256) };
    if (env.server) attributes['mcp.server'] = env.server;
    const version = getPath(meta, `["${PROTOCOL_VERSION}"]`);
    if (typeof version === 'string') attributes['mcp.protocol_version'] = clip(version, 64);
    if (client) {
      attributes['mcp.client.name'] = client.name;
      if (client.version) attributes['mcp.client.version'] = client.version;
    }
    return Object.assign(attributes, summarizeArguments(args, this.o.maxArgumentKeys, this.o.maxArgumentChars));
  }

  /** A response: completes its pending call, or is skipped/rejected with the reason it cannot be paired. */
  private response(m: { id: RequestId | null; result?: unknown; error?: unknown }, env: Envelope, path: string | undefined): AdapterResult {
    if (m.id === null) return skipped('error response without a request id (the request itself was malformed): no call to attribute it to');
    // A response answers a request from the other side; with no direction, client requests are the likelier match.
    const origins = env.direction === 'c2s' ? ['s'] : env.direction === 's2c' ? ['c'] : ['c', 's'];
    const keys = origins.map((origin) => pendingKey(env.sessionKey, origin, m.id as RequestId));
    for (const key of keys) {
      const p = this.pending.get(key);
      if (p === undefined) continue;
      if (!isCall(p)) {
        this.pending.delete(key);
        return skipped(`response to ${clip(p.method, 80)}: not a tool call`);
      }
      return this.complete(key, p, m, env, path);
    }
    for (const key of keys) {
      const done = this.answered.get(key);
      if (done) return skipped(`response to a tools/call already ${done.what}`);
    }
    if (m.error !== undefined || looksLikeToolResult(m.result)) {
      return rejected(
        `id ${clip(String(m.id), 80)}: a tools/call response with no pending request in session ${env.session ? clip(env.session, 80) : '(none)'} (the request was not seen, or came after its response)`,
        path,
      );
    }
    return skipped('response to a request not seen, and not a tool result (initialize, tools/list ...)');
  }

  private complete(key: string, p: PendingCall, m: { result?: unknown; error?: unknown }, env: Envelope, path: string | undefined): AdapterResult {
    const reading = readResponse(m, this.denial);
    if (reading.kind === 'not-final') {
      this.pending.delete(key);
      this.answered.set(key, { timeMs: p.timeMs, what: 'answered with input_required' });
      return skipped(reading.reason);
    }
    this.pending.delete(key);
    if (reading.kind === 'invalid') {
      this.answered.set(key, { timeMs: p.timeMs, what: 'rejected (invalid response)' });
      return rejected(`tools/call id ${clip(String(p.id), 80)}: ${reading.problem}`, path);
    }
    this.answered.set(key, { timeMs: p.timeMs, what: 'mapped' });
    const endMs = env.time && !('problem' in env.time) ? env.time.ms : undefined;
    const agent = p.agent ?? (env.agent ? { id: env.agent.value, from: `response envelope ${env.agent.path}` } : undefined);
    return this.event(p, reading.outcome, reading.attributes, endMs, agent, path);
  }

  /** `notifications/cancelled` from the client: the call ends there, as a failure marked cancelled. */
  private cancel(params: unknown, env: Envelope, path: string | undefined): AdapterResult {
    const requestId = isObject(params) ? params['requestId'] : undefined;
    if ((typeof requestId !== 'string' && typeof requestId !== 'number') || env.direction === 's2c') {
      return skipped('notifications/cancelled: not for a pending tools/call');
    }
    const key = pendingKey(env.sessionKey, 'c', requestId);
    const p = this.pending.get(key);
    if (!p || !isCall(p)) return skipped('notifications/cancelled: not for a pending tools/call');
    this.pending.delete(key);
    this.answered.set(key, { timeMs: p.timeMs, what: 'cancelled' });
    const attributes: Record<string, string> = { 'mcp.cancelled': 'true' };
    const reason = isObject(params) ? params['reason'] : undefined;
    if (typeof reason === 'string') attributes['mcp.cancel_reason'] = clip(reason, 256);
    const endMs = env.time && !('problem' in env.time) ? env.time.ms : undefined;
    return this.event(p, 'failure', attributes, endMs, p.agent, path);
  }

  /** A call that never got a response: a failure event marked unanswered, or a reject (`unansweredCalls`). */
  private unanswered(p: PendingCall, why: string): AdapterResult {
    this.answered.set(p.key, { timeMs: p.timeMs, what: `reported unanswered (${why})` });
    const what = `tools/call ${clip(p.tool, 80)} id ${clip(String(p.id), 80)} at ${p.time}${p.session ? ` in session ${clip(p.session, 80)}` : ''}`;
    if (this.o.unansweredCalls === 'reject') return rejected(`${what}: ${why}`);
    return this.event(p, 'failure', { 'mcp.unanswered': 'true', 'mcp.unanswered_reason': why }, undefined, p.agent);
  }

  /** Holds a request; what the pending limit pushes out is given up now. */
  private hold(key: string, p: Pending): AdapterResult {
    const out = emptyResult();
    for (const [, old] of this.pending.set(key, p)) {
      if (isCall(old)) mergeInto(out, this.unanswered(old, `given up: more than ${this.o.maxPending} requests were waiting (maxPending)`));
    }
    return out;
  }

  private event(
    p: PendingCall,
    outcome: Outcome,
    extra: Record<string, string>,
    endMs: number | undefined,
    agent: { id: string; from: string } | undefined,
    path?: string,
  ): AdapterResult {
    if (!agent) {
      const clientInfo = this.o.agentFromClientInfo ? `, and no clientInfo name in params._meta["${CLIENT_INFO}"] or the session's initialize` : '';
      return rejected(`agent: no agent id at ${this.o.agentPaths.join(', ')} in the envelope${clientInfo} (tools/call ${clip(p.tool, 80)})`, path);
    }
    const attributes: Record<string, string> = { ...p.attributes, ...extra, 'mcp.agent_from': agent.from };
    let duration: number | undefined;
    if (endMs !== undefined) {
      if (endMs >= p.timeMs) duration = endMs - p.timeMs;
      else attributes['mcp.response_before_request_ms'] = String(p.timeMs - endMs);
    }
    return finishEvent(
      {
        kind: 'tool_call',
        event_id: stableEventId('mcp', p.sessionKey || '-', String(p.id), p.time),
        time: p.time,
        agent_id: agent.id,
        source: this.o.source,
        environment: p.envelope.environment,
        session_id: p.session,
        on_behalf_of: p.envelope.onBehalfOf,
        source_ip: p.envelope.sourceIp,
        tool: p.tool,
        action: p.action,
        resource: p.resource,
        outcome,
        token_id: p.envelope.tokenId,
        duration_ms: duration,
        attributes,
      },
      path,
    );
  }

  /** The client's self-reported name: per request (2026-07-28 `_meta`), else the session's `initialize`. */
  private clientOf(meta: unknown, sessionKey: string): { info: ClientInfo; from: string } | undefined {
    const perRequest = readClientInfo(getPath(meta, `["${CLIENT_INFO}"]`));
    if (perRequest) return { info: perRequest, from: 'clientInfo in params._meta (self-reported)' };
    const remembered = sessionKey ? this.clients.get(sessionKey) : undefined;
    return remembered ? { info: remembered, from: 'clientInfo from the session initialize (self-reported)' } : undefined;
  }

  private rememberClient(env: Envelope, params: unknown): void {
    if (!env.sessionKey) return;
    const info = readClientInfo(getPath(params, 'clientInfo'));
    if (info) this.clients.set(env.sessionKey, info);
  }
}

function readClientInfo(v: unknown): ClientInfo | undefined {
  if (!isObject(v)) return undefined;
  const name = v['name'];
  if (typeof name !== 'string' || name.length === 0 || name.length > 200) return undefined;
  const version = v['version'];
  return { name, version: typeof version === 'string' ? clip(version, 64) : undefined };
}

/** Pairing key: session, whose id space (client- or server-initiated), and the id. */
function pendingKey(sessionKey: string, origin: string, id: RequestId): string {
  return `${sessionKey.length}:${sessionKey}|${origin}|${idKey(id)}`;
}

function actionOf(toolActions: McpOptions['toolActions'], tool: string, name: string): Action | undefined {
  if (Object.hasOwn(toolActions, tool)) return toolActions[tool];
  if (Object.hasOwn(toolActions, name)) return toolActions[name];
  return undefined;
}
