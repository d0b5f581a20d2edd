import { readFileSync } from 'node:fs';
import { type CanonicalEvent, parseEvent } from '@agentwatch/schemas';
import { describe, expect, it } from 'vitest';
import { createMcpAdapter, detectMcp } from '../src/mcp/index.ts';
import { detectOpa } from '../src/opa/index.ts';
import type { AdapterResult, RecordAdapter } from '../src/types.ts';
import { mulberry32, mutator } from './fuzz.ts';

const SAMPLES = new URL('../../../../shared/samples/mcp/', import.meta.url);
const read = (name: string) => JSON.parse(readFileSync(new URL(name, SAMPLES), 'utf8')) as Record<string, unknown>;
const REQUEST = read('CallToolRequest_call-tool-request.json');
const RESPONSE = read('CallToolResultResponse_call-tool-result-response.json');
const TOOL_ERROR_RESULT = read('CallToolResult_invalid-tool-input-error.json');

/** The 2025-11-25 shapes (samples README section 6): no `_meta`, no `resultType`. */
const OLD_REQUEST = { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'get_weather', arguments: { location: 'New York' } } };
const OLD_RESULT = {
  jsonrpc: '2.0',
  id: 2,
  result: { content: [{ type: 'text', text: 'Current weather in New York:\nTemperature: 72°F\nConditions: Partly cloudy' }], isError: false },
};

const T0 = '2026-11-02T09:00:00.000Z';
const T1 = '2026-11-02T09:00:01.250Z';
const AGENT = 'spiffe://corp.example/agents/weather-bot';

/** A gateway log line around one JSON-RPC message. */
const wrap = (message: unknown, time: unknown = T0, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  time,
  session_id: 'sess-1',
  ...extra,
  message,
});

const call = (id: unknown, name: string, args: unknown = {}) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });
const ok = (id: unknown, extra: Record<string, unknown> = {}) => ({
  jsonrpc: '2.0',
  id,
  result: { content: [{ type: 'text', text: 'done' }], isError: false, ...extra },
});
const fail = (id: unknown, code: number, message: string) => ({ jsonrpc: '2.0', id, error: { code, message } });

/** Feeds records through one adapter (then flush) and collects everything. */
function run(records: unknown[], adapter: RecordAdapter = createMcpAdapter(), flush = true): AdapterResult {
  const out: AdapterResult = { events: [], rejects: [], skipped: 0 };
  const add = (r: AdapterResult) => {
    out.events.push(...r.events);
    out.rejects.push(...r.rejects);
    out.skipped += r.skipped;
  };
  for (const r of records) add(adapter.map(r));
  if (flush) add(adapter.flush());
  return out;
}

const only = (r: AdapterResult): CanonicalEvent => {
  expect(r.rejects).toEqual([]);
  expect(r.events).toHaveLength(1);
  return r.events[0]!;
};
const toolCall = (e: CanonicalEvent) => {
  if (e.kind !== 'tool_call') throw new Error(`expected a tool_call, got ${e.kind}`);
  return e;
};

describe('MCP samples', () => {
  it('a bare request (no envelope, so no time) is rejected with a reason', () => {
    const r = createMcpAdapter().map(REQUEST);
    expect(r.events).toEqual([]);
    expect(r.rejects).toEqual([
      {
        reason:
          'tools/call id call-tool-example: time: no time at time, timestamp, @timestamp, ts (a bare JSON-RPC message carries none; log it inside an envelope with a time)',
      },
    ]);
  });

  it('a bare response whose request was never seen is rejected, not guessed', () => {
    const r = createMcpAdapter().map(RESPONSE);
    expect(r.rejects[0]?.reason).toBe(
      'id call-tool-example: a tools/call response with no pending request in session (none) (the request was not seen, or came after its response)',
    );
  });

  it('a bare CallToolResult (not JSON-RPC) is rejected', () => {
    expect(createMcpAdapter().map(TOOL_ERROR_RESULT).rejects).toEqual([
      { reason: 'message: no JSON-RPC message at message, payload, body, and the record is not one itself' },
    ]);
  });

  it('the 2026-07-28 request and response, wrapped by a gateway, make one tool_call', () => {
    const adapter = createMcpAdapter();
    const held = adapter.map(wrap(REQUEST, T0, { direction: 'client_to_server' }));
    expect(held).toEqual({ events: [], rejects: [], skipped: 1, skipReason: 'tools/call request: held until its response, which emits the event' });
    const e = only(adapter.map(wrap(RESPONSE, T1, { direction: 'server_to_client' })));
    expect(e).toEqual({
      kind: 'tool_call',
      event_id: `mcp:sess-1:call-tool-example:${T0}`,
      time: T0,
      agent_id: 'ExampleClient',
      source: 'mcp',
      session_id: 'sess-1',
      tool: 'get_weather',
      outcome: 'success',
      duration_ms: 1250,
      attributes: {
        'mcp.jsonrpc_id': 'call-tool-example',
        'mcp.protocol_version': '2026-07-28',
        'mcp.client.name': 'ExampleClient',
        'mcp.client.version': '1.0.0',
        'mcp.arguments.location': 'New York',
        'mcp.result_type': 'complete',
        'mcp.agent_from': 'clientInfo in params._meta (self-reported)',
      },
    });
    expect(parseEvent(e).ok).toBe(true);
    expect(adapter.flush()).toEqual({ events: [], rejects: [], skipped: 0 });
  });

  it('an envelope agent id wins over the self-reported clientInfo', () => {
    const e = only(run([wrap(REQUEST, T0, { agent_id: AGENT }), wrap(RESPONSE, T1)]));
    expect(e.agent_id).toBe(AGENT);
    expect(e.attributes?.['mcp.agent_from']).toBe('envelope agent_id');
  });

  it('the sample tool execution error (isError: true) is a failure with its text kept', () => {
    const response = { jsonrpc: '2.0', id: 'call-tool-example', result: TOOL_ERROR_RESULT };
    const e = toolCall(only(run([wrap(REQUEST), wrap(response, T1)])));
    expect(e.outcome).toBe('failure');
    expect(e.attributes?.['mcp.result.error_text']).toBe('Invalid departure date: must be in the future. Current date is 08/08/2025.');
  });

  it('the 2025-11-25 shape takes the agent from the session initialize clientInfo', () => {
    const init = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', clientInfo: { name: 'weather-cli', version: '2.1' }, capabilities: {} },
    };
    const initResult = {
      jsonrpc: '2.0',
      id: 1,
      result: { protocolVersion: '2025-11-25', capabilities: { tools: {} }, serverInfo: { name: 'weather', version: '1' } },
    };
    const r = run(
      [wrap(init), wrap(initResult), wrap({ jsonrpc: '2.0', method: 'notifications/initialized' }), wrap(OLD_REQUEST), wrap(OLD_RESULT, T1)],
      createMcpAdapter({ clientInfoAgentPrefix: 'mcp-client:' }),
    );
    const e = toolCall(only(r));
    expect(e).toMatchObject({ agent_id: 'mcp-client:weather-cli', tool: 'get_weather', outcome: 'success', event_id: `mcp:sess-1:2:${T0}`, duration_ms: 1250 });
    expect(e.attributes).toMatchObject({ 'mcp.agent_from': 'clientInfo from the session initialize (self-reported)', 'mcp.client.version': '2.1' });
    expect(e.attributes?.['mcp.result_type']).toBeUndefined();
    expect(r.skipped).toBe(4); // initialize, its response, the notification, the held request
  });

  it('without any agent the call is rejected naming where it looked', () => {
    const r = run([wrap(OLD_REQUEST), wrap(OLD_RESULT, T1)]);
    expect(r.events).toEqual([]);
    expect(r.rejects[0]?.reason).toBe(
      'agent: no agent id at agent_id, agentId, agent.id, client_id, clientId, client.id, principal, subject in the envelope, and no clientInfo name in params._meta["io.modelcontextprotocol/clientInfo"] or the session\'s initialize (tools/call get_weather)',
    );
  });

  it('agentFromClientInfo: false rejects calls identified only by clientInfo', () => {
    const r = run([wrap(REQUEST), wrap(RESPONSE, T1)], createMcpAdapter({ agentFromClientInfo: false }));
    expect(r.rejects[0]?.reason).toMatch(/^agent: no agent id at agent_id, .* in the envelope \(tools\/call get_weather\)$/);
  });
});

describe('MCP pairing', () => {
  const A = { agent_id: AGENT };

  it('the same id in two sessions is two calls', () => {
    const r = run([
      wrap(call(1, 'a'), T0, A),
      wrap(call(1, 'b'), T0, { ...A, session_id: 'sess-2' }),
      wrap(ok(1), T1, { session_id: 'sess-2' }),
      wrap(ok(1), T1),
    ]);
    expect(r.rejects).toEqual([]);
    expect(r.events.map((e) => [toolCall(e).tool, e.session_id, e.event_id])).toEqual([
      ['b', 'sess-2', `mcp:sess-2:1:${T0}`],
      ['a', 'sess-1', `mcp:sess-1:1:${T0}`],
    ]);
  });

  it('an id reused later in a long session is a new call with its own event id', () => {
    const t2 = '2026-11-02T10:00:00.000Z';
    const r = run([wrap(call(7, 'a'), T0, A), wrap(ok(7), T1), wrap(call(7, 'b'), t2, A), wrap(ok(7), '2026-11-02T10:00:00.500Z')]);
    expect(r.events.map((e) => [toolCall(e).tool, e.event_id, toolCall(e).duration_ms])).toEqual([
      ['a', `mcp:sess-1:7:${T0}`, 1250],
      ['b', `mcp:sess-1:7:${t2}`, 500],
    ]);
  });

  it('an id reused while still pending gives the older request up as unanswered', () => {
    const r = run([wrap(call(7, 'a'), T0, A), wrap(call(7, 'b'), T1, A), wrap(ok(7), '2026-11-02T09:00:02.000Z')]);
    expect(r.events.map((e) => [toolCall(e).tool, toolCall(e).outcome, e.attributes?.['mcp.unanswered_reason']])).toEqual([
      ['a', 'failure', 'its id was reused by a later request before any response'],
      ['b', 'success', undefined],
    ]);
  });

  it('the number 1 and the string "1" are different ids', () => {
    const r = run([wrap(call(1, 'num'), T0, A), wrap(call('1', 'str'), T0, A), wrap(ok('1'), T1), wrap(ok(1), T1)]);
    expect(r.events.map((e) => toolCall(e).tool)).toEqual(['str', 'num']);
  });

  it('duplicate request and response records map once and are skipped with reasons', () => {
    const adapter = createMcpAdapter();
    const req = wrap(call(3, 'a'), T0, A);
    adapter.map(req);
    expect(adapter.map(structuredClone(req)).skipReason).toBe('tools/call request already waiting for its response (duplicate record)');
    expect(adapter.map(wrap(ok(3), T1)).events).toHaveLength(1);
    expect(adapter.map(wrap(ok(3), T1)).skipReason).toBe('response to a tools/call already mapped');
    expect(adapter.map(structuredClone(req)).skipReason).toBe('tools/call request already mapped (duplicate record)');
  });

  it('a response logged before its request is rejected, and the request is reported unanswered at the end', () => {
    const r = run([wrap(ok(5), T0), wrap(call(5, 'late'), T1, A)]);
    expect(r.rejects).toHaveLength(1);
    expect(r.rejects[0]?.reason).toContain('no pending request in session sess-1');
    expect(toolCall(only({ ...r, rejects: [] }))).toMatchObject({ tool: 'late', outcome: 'failure', attributes: { 'mcp.unanswered': 'true' } });
  });

  it('other methods, their responses and notifications are skipped with reasons', () => {
    const adapter = createMcpAdapter();
    expect(adapter.map(wrap({ jsonrpc: '2.0', id: 9, method: 'tools/list' })).skipReason).toBe('method tools/list: not a tool call');
    expect(adapter.map(wrap({ jsonrpc: '2.0', id: 9, result: { tools: [] } })).skipReason).toBe('response to tools/list: not a tool call');
    expect(adapter.map(wrap({ jsonrpc: '2.0', method: 'notifications/progress', params: { progress: 1 } })).skipReason).toBe(
      'notification notifications/progress: not a tool call',
    );
    expect(adapter.map(wrap({ jsonrpc: '2.0', id: 77, result: { tools: [] } })).skipReason).toBe(
      'response to a request not seen, and not a tool result (initialize, tools/list ...)',
    );
    expect(adapter.map(wrap({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } })).skipped).toBe(1);
    expect(adapter.flush()).toEqual({ events: [], rejects: [], skipped: 0 });
  });

  it('with directions, a server-initiated request does not take over a client call with the same id', () => {
    const sampling = { jsonrpc: '2.0', id: 1, method: 'sampling/createMessage', params: { messages: [] } };
    const samplingResult = { jsonrpc: '2.0', id: 1, result: { role: 'assistant', content: { type: 'text', text: 'hi' }, model: 'm' } };
    const r = run([
      wrap(call(1, 'a'), T0, A),
      wrap(sampling, T0, { direction: 'server_to_client' }),
      wrap(samplingResult, T0, { direction: 'client_to_server' }),
      wrap(ok(1), T1, { direction: 'server_to_client' }),
    ]);
    expect(toolCall(only(r))).toMatchObject({ tool: 'a', outcome: 'success', duration_ms: 1250 });
  });

  it('a batch inside one envelope, and a message logged as JSON text, are both read', () => {
    const adapter = createMcpAdapter();
    const batch = adapter.map(wrap([call(1, 'a'), { jsonrpc: '2.0', method: 'notifications/initialized' }, call(2, 'b')], T0, A));
    expect(batch).toMatchObject({ events: [], rejects: [], skipped: 3 });
    const r = run([wrap(JSON.stringify([ok(1), ok(2)]), T1)], adapter);
    expect(r.events.map((e) => toolCall(e).tool)).toEqual(['a', 'b']);
    const bad = adapter.map(wrap([call(3, 'c'), 42], T0, A));
    expect(bad.rejects).toEqual([{ reason: 'message: expected a JSON-RPC object, got number 42', path: 'message[1]' }]);
  });

  it('a response without a time still completes the call, without a duration', () => {
    const e = toolCall(only(run([wrap(call(1, 'a'), T0, A), { session_id: 'sess-1', message: ok(1) }])));
    expect(e.duration_ms).toBeUndefined();
    expect(e.time).toBe(T0);
  });

  it('a response stamped before its request keeps the skew in attributes instead of a negative duration', () => {
    const e = toolCall(only(run([wrap(call(1, 'a'), T1, A), wrap(ok(1), T0)])));
    expect(e.duration_ms).toBeUndefined();
    expect(e.attributes?.['mcp.response_before_request_ms']).toBe('1250');
  });
});

describe('MCP outcomes', () => {
  const outcomeOf = (response: unknown, adapter = createMcpAdapter()) =>
    toolCall(only(run([wrap(call(1, 'erp.invoice.read'), T0, { agent_id: AGENT }), wrap(response, T1)], adapter)));

  it('unknown tool (-32602) and internal errors are failures, with the error kept', () => {
    const e = outcomeOf(fail(1, -32602, 'Unknown tool: erp.invoice.read'));
    expect(e.outcome).toBe('failure');
    expect(e.attributes).toMatchObject({ 'mcp.error.code': '-32602', 'mcp.error.message': 'Unknown tool: erp.invoice.read' });
    expect(outcomeOf(fail(1, -32603, 'Internal error')).outcome).toBe('failure');
    expect(outcomeOf({ jsonrpc: '2.0', id: 1, error: 'boom' }).attributes?.['mcp.error']).toBe('boom');
  });

  it('a gateway authorization error is denied, by code or by message', () => {
    expect(outcomeOf(fail(1, -32003, 'Tool not allowed')).outcome).toBe('denied');
    expect(outcomeOf(fail(1, -32000, 'Permission denied: user not authorized to call tool')).outcome).toBe('denied');
    const codesOnly = createMcpAdapter({ deniedErrorMessagePattern: '', deniedErrorCodes: [-32099] });
    expect(outcomeOf(fail(1, -32000, 'Permission denied'), codesOnly).outcome).toBe('failure');
    expect(outcomeOf(fail(1, -32099, 'x'), createMcpAdapter({ deniedErrorCodes: [-32099] })).outcome).toBe('denied');
  });

  it('input_required is not an outcome: nothing is emitted until the retried call answers', () => {
    const adapter = createMcpAdapter();
    const inputRequired = { jsonrpc: '2.0', id: 1, result: { resultType: 'input_required', inputRequests: {}, requestState: 'opaque' } };
    const first = run([wrap(call(1, 'a'), T0, { agent_id: AGENT }), wrap(inputRequired, T1)], adapter, false);
    expect(first.events).toEqual([]);
    expect(first.rejects).toEqual([]);
    const retry = run([wrap(call(2, 'a'), '2026-11-02T09:00:05.000Z', { agent_id: AGENT }), wrap(ok(2), '2026-11-02T09:00:06.000Z')], adapter);
    expect(toolCall(only(retry))).toMatchObject({ tool: 'a', outcome: 'success', duration_ms: 1000 });
  });

  it('a task-augmented call is accepted (success) with the task id kept', () => {
    const e = outcomeOf({ jsonrpc: '2.0', id: 1, result: { task: { taskId: 't-42', status: 'working' } } });
    expect(e.outcome).toBe('success');
    expect(e.attributes).toMatchObject({ 'mcp.task.id': 't-42', 'mcp.task.status': 'working' });
  });

  it('a result that is not an object is rejected', () => {
    const r = run([wrap(call(1, 'a'), T0, { agent_id: AGENT }), wrap({ jsonrpc: '2.0', id: 1, result: 'done' }, T1)]);
    expect(r.rejects).toEqual([{ reason: 'tools/call id 1: result: expected a CallToolResult object, got "done"' }]);
    expect(r.events).toEqual([]);
  });

  it('a cancelled call is a failure marked cancelled', () => {
    const cancel = { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1, reason: 'user pressed stop' } };
    const r = run([wrap(call(1, 'a'), T0, { agent_id: AGENT }), wrap(cancel, T1), wrap(ok(1), '2026-11-02T09:00:02.000Z')]);
    const e = toolCall(only(r));
    expect(e).toMatchObject({ outcome: 'failure', duration_ms: 1250, attributes: { 'mcp.cancelled': 'true', 'mcp.cancel_reason': 'user pressed stop' } });
  });
});

describe('MCP unanswered calls and the pending limit', () => {
  it('flush reports calls never answered as failures marked unanswered', () => {
    const e = toolCall(only(run([wrap(call(1, 'a'), T0, { agent_id: AGENT })])));
    expect(e).toMatchObject({
      outcome: 'failure',
      event_id: `mcp:sess-1:1:${T0}`,
      attributes: { 'mcp.unanswered': 'true', 'mcp.unanswered_reason': 'no response before the end of the input' },
    });
    expect(e.duration_ms).toBeUndefined();
  });

  it('unansweredCalls: reject rejects them instead', () => {
    const r = run([wrap(call(1, 'a'), T0, { agent_id: AGENT })], createMcpAdapter({ unansweredCalls: 'reject' }));
    expect(r.events).toEqual([]);
    expect(r.rejects).toEqual([{ reason: `tools/call a id 1 at ${T0} in session sess-1: no response before the end of the input` }]);
  });

  it('past maxPending the oldest request is given up, and its late response skipped', () => {
    const adapter = createMcpAdapter({ maxPending: 2 });
    const A = { agent_id: AGENT };
    const r1 = run([wrap(call(1, 'a'), T0, A), wrap(call(2, 'b'), T0, A), wrap(call(3, 'c'), T0, A)], adapter, false);
    expect(r1.events.map((e) => [toolCall(e).tool, e.attributes?.['mcp.unanswered_reason']])).toEqual([
      ['a', 'given up: more than 2 requests were waiting (maxPending)'],
    ]);
    expect(adapter.map(wrap(ok(1), T1)).skipReason).toBe(
      'response to a tools/call already reported unanswered (given up: more than 2 requests were waiting (maxPending))',
    );
    const rest = run([wrap(ok(2), T1), wrap(ok(3), T1)], adapter);
    expect(rest.events.map((e) => [toolCall(e).tool, toolCall(e).outcome])).toEqual([
      ['b', 'success'],
      ['c', 'success'],
    ]);
  });

  it('memory stays bounded over many unanswered requests', () => {
    const adapter = createMcpAdapter({ maxPending: 100 });
    let given = 0;
    for (let i = 0; i < 5000; i++) given += adapter.map(wrap(call(i, 't'), T0, { agent_id: AGENT })).events.length;
    expect(given).toBe(4900);
    expect(adapter.flush().events).toHaveLength(100);
  });
});

describe('MCP field mapping', () => {
  it('maps envelope fields, server prefix, actions and resources', () => {
    const adapter = createMcpAdapter({ prefixToolWithServer: true, toolActions: { 'files.delete_file': 'delete' }, source: 'gateway:agentgateway' });
    const env = {
      agent_id: AGENT,
      server_name: 'files',
      source_ip: '10.0.0.7:51234',
      environment: 'prod',
      token_id: 'tok-1',
      on_behalf_of: 'alice@corp.example',
    };
    const e = toolCall(only(run([wrap(call('r1', 'delete_file', { uri: 'file:///srv/report.pdf', force: true }), T0, env), wrap(ok('r1'), T1)], adapter)));
    expect(e).toMatchObject({
      tool: 'files.delete_file',
      action: 'delete',
      resource: 'file:///srv/report.pdf',
      source: 'gateway:agentgateway',
      source_ip: '10.0.0.7',
      environment: 'prod',
      token_id: 'tok-1',
      on_behalf_of: 'alice@corp.example',
      attributes: { 'mcp.server': 'files', 'mcp.source_address': '10.0.0.7:51234', 'mcp.arguments.force': 'true' },
    });
  });

  it('arguments are summarized within bounds', () => {
    const args: Record<string, unknown> = { text: 'y'.repeat(10_000), nested: { a: [1, 2, { b: 'c' }] } };
    for (let i = 0; i < 100; i++) args[`k${i}`] = i;
    const e = toolCall(only(run([wrap(call(1, 'a', args), T0, { agent_id: AGENT }), wrap(ok(1), T1)])));
    const argKeys = Object.keys(e.attributes ?? {}).filter((k) => k.startsWith('mcp.arguments.'));
    expect(argKeys).toHaveLength(17); // 16 arguments + more_keys
    expect(e.attributes?.['mcp.arguments.more_keys']).toBe('true');
    expect(e.attributes?.['mcp.arguments.text']).toBe(`${'y'.repeat(256)}…[10000 chars]`);
    expect(e.attributes?.['mcp.arguments.nested']).toBe('{"a":[1,2,{"b":"c"}]}');
  });

  it.each([
    [wrap(call(1, 'a'), 42), 'tools/call id 1: time: expected an ISO-8601 time with a zone, got number 42'],
    [wrap(call(1, 'a'), '2026-11-02T09:00:00'), 'tools/call id 1: time: expected an ISO-8601 time with a zone'],
    [wrap(call(1, '')), 'params.name: expected the tool name (1..256 characters), got ""'],
    [wrap(call(1, 'x'.repeat(300))), 'params.name: expected the tool name (1..256 characters)'],
    [wrap({ jsonrpc: '2.0', id: 1, method: 'tools/call' }), 'params.name: expected the tool name (1..256 characters), got nothing'],
    [wrap({ jsonrpc: '1.0', id: 1, method: 'tools/call' }), 'jsonrpc: expected "2.0", got "1.0"'],
    [wrap({ jsonrpc: '2.0', id: { x: 1 }, method: 'tools/call' }), 'id: expected a string or integer request id, got an object'],
    [wrap({ jsonrpc: '2.0', id: 1.5, method: 'tools/call' }), 'id: expected a string or integer request id, got number 1.5'],
    [wrap({ jsonrpc: '2.0', id: 1 }), 'message: not a JSON-RPC request, notification or response'],
    [wrap({ jsonrpc: '2.0', method: 7 }), 'method: expected a method name, got number 7'],
    [wrap('{not json'), 'message: not valid JSON text'],
    [wrap([]), 'message: an empty batch'],
  ])('rejects %#: %s', (record, expected) => {
    const r = createMcpAdapter().map(record);
    expect(r.events).toEqual([]);
    expect(r.rejects[0]?.reason).toContain(expected);
  });

  it('a rejected request makes its response a skip, not a second reject', () => {
    const r = run([wrap(call(1, 'a'), 'yesterday'), wrap(ok(1), T1)]);
    expect(r.rejects).toHaveLength(1);
    expect(r.skipped).toBe(1);
  });

  it('options are validated when the adapter is created', () => {
    expect(() => createMcpAdapter({ deniedErrorMessagePattern: '(' })).toThrow(/regular expression/);
    expect(() => createMcpAdapter({ maxPending: 0 })).toThrow();
    expect(() => createMcpAdapter({ toolActions: { a: 'peek' as 'read' } })).toThrow();
    expect(() => createMcpAdapter({ nope: 1 } as never)).toThrow();
  });
});

describe('detectMcp', () => {
  it('claims bare JSON-RPC messages and gateway envelopes', () => {
    expect(detectMcp(REQUEST)).toBe(true);
    expect(detectMcp(RESPONSE)).toBe(true);
    expect(detectMcp(wrap(REQUEST))).toBe(true);
    expect(detectMcp({ time: T0, payload: JSON.stringify(OLD_REQUEST) })).toBe(true);
    expect(detectMcp({ time: T0, body: [OLD_REQUEST] })).toBe(true);
  });

  it('does not claim a bare CallToolResult, canonical events, OPA records or other values', () => {
    expect(detectMcp(TOOL_ERROR_RESULT)).toBe(false);
    expect(detectMcp({ kind: 'tool_call', event_id: 'e', jsonrpc: '2.0', method: 'x' })).toBe(false);
    expect(detectMcp({ decision_id: 'd', path: 'p', timestamp: T0, input: {}, result: true })).toBe(false);
    for (const r of [REQUEST, RESPONSE, wrap(REQUEST)]) expect(detectOpa(r)).toBe(false);
    for (const v of [null, 1, 'x', [], {}, { message: 'hello' }, { jsonrpc: '2.0' }]) expect(detectMcp(v)).toBe(false);
  });
});

describe('MCP hostile input', () => {
  it.each([null, undefined, 42, 'text', true, []])('rejects a non-object record %#', (record) => {
    expect(createMcpAdapter().map(record).rejects[0]?.reason).toMatch(/^record: expected a gateway log object or a JSON-RPC message/);
  });

  it('huge and deeply nested values are bounded, never thrown on', () => {
    let deep: Record<string, unknown> = { end: true };
    for (let i = 0; i < 20_000; i++) deep = { a: deep };
    const huge = 'x'.repeat(5_000_000);
    const r = run([
      wrap(call(huge.slice(0, 200), 'a', { deep, huge, list: Array.from({ length: 100_000 }, (_, i) => i) }), T0, {
        agent_id: AGENT,
        session_id: huge,
        server_name: huge,
      }),
      wrap(ok(huge.slice(0, 200), { deep, structuredContent: deep }), T1, { session_id: huge }),
      wrap(call(1, 'a'), T0, { agent_id: huge }),
      wrap(`[${'['.repeat(100_000)}${']'.repeat(100_000)}]`),
      { message: deep },
    ]);
    expect(r.rejects.map((j) => j.reason)).toEqual([
      'agent_id: agent id longer than 256 characters',
      'message: expected a JSON-RPC object, got an array',
      'jsonrpc: expected "2.0", got nothing',
    ]);
    expect(r.events).toHaveLength(1);
    for (const e of r.events) {
      expect(parseEvent(e).ok).toBe(true);
      expect(JSON.stringify(e).length).toBeLessThan(20_000);
    }
    expect(r.events[0]?.event_id).toMatch(/^mcp:sha256:/);
    expect(r.events[0]?.session_id).toBeUndefined();
  });

  it('a small fuzz loop over mutated conversations: never throws, every event is canonical', () => {
    const rand = mulberry32(7);
    const seeds: unknown[] = [
      wrap(REQUEST),
      wrap(RESPONSE, T1),
      wrap(OLD_REQUEST, T0, { agent_id: AGENT }),
      wrap(OLD_RESULT, T1),
      wrap(fail(2, -32003, 'forbidden'), T1),
      wrap({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 2 } }, T1),
      REQUEST,
      RESPONSE,
    ];
    const adapter = createMcpAdapter({ maxPending: 50 });
    let events = 0;
    const check = (r: AdapterResult) => {
      for (const e of r.events) expect(parseEvent(e).ok).toBe(true);
      for (const j of r.rejects) expect(j.reason.length).toBeGreaterThan(0);
      events += r.events.length;
    };
    for (let i = 0; i < 3000; i++) {
      const seed = structuredClone(seeds[Math.floor(rand() * seeds.length)]);
      check(adapter.map(rand() < 0.3 ? seed : mutate(seed, rand)));
      if (i % 500 === 499) check(adapter.flush());
    }
    check(adapter.flush());
    expect(events).toBeGreaterThan(0);
  });
});

/** Replaces, deletes or adds 1..3 values at random places of a record. */
const mutate = mutator([null, undefined, 0, -1, 1.5, 1e308, '', 'x'.repeat(10_000), true, [], [1, 'a'], {}, { a: { b: [] } }, T0, '2.0', 'tools/call']);
