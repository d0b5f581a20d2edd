import type { CanonicalEvent } from '@agentwatch/schemas';
import { describe, expect, it } from 'vitest';
import { createOtlpAdapter, detectOtlp } from '../src/otlp/index.ts';
import { AGENT_SPAN_ID, agentSpan, kv, ns, otlpExport, otlpSpan, readSample, TOOL_SPAN_ID, TRACE_ID, toolAttrs } from './otlp-fixtures.ts';

const adapter = createOtlpAdapter();
const only = (record: unknown, a = adapter): CanonicalEvent => {
  const r = a.map(record);
  expect(r.rejects).toEqual([]);
  expect(r.events).toHaveLength(1);
  return r.events[0] as CanonicalEvent;
};
const toolCall = (e: CanonicalEvent) => {
  if (e.kind !== 'tool_call') throw new Error(`expected tool_call, got ${e.kind}`);
  return e;
};

describe('otlp adapter: OTLP/JSON execute_tool spans', () => {
  it('maps every field of a fully populated span', () => {
    const record = otlpExport(
      [
        otlpSpan(
          toolAttrs('erp.invoice.read', {
            'gen_ai.agent.id': 'invoice-bot',
            'gen_ai.agent.name': 'Invoice bot',
            'gen_ai.conversation.id': 'conv_5j66',
            'gen_ai.tool.call.id': 'call_mszu',
            'gen_ai.tool.type': 'function',
            'gen_ai.tool.description': 'Reads an invoice',
            'gen_ai.tool.call.arguments': '{"id": "2026-118"}',
            'enduser.id': 'alice@corp.example',
            'mcp.resource.uri': 'erp://invoices/2026-118',
            'error.type': 'timeout',
            'retry.count': 2,
          }),
          { status: { code: 2, message: 'upstream timed out' }, kind: 'SPAN_KIND_CLIENT' },
        ),
      ],
      { 'service.name': 'finance-agents', 'deployment.environment.name': 'prod', 'telemetry.sdk.name': 'opentelemetry' },
    );
    expect(only(record)).toEqual({
      kind: 'tool_call',
      event_id: `otel:${TRACE_ID}:${TOOL_SPAN_ID}`,
      time: '2026-11-02T09:00:00.005Z',
      agent_id: 'invoice-bot',
      source: 'otel',
      environment: 'prod',
      session_id: 'conv_5j66',
      on_behalf_of: 'alice@corp.example',
      tool: 'erp.invoice.read',
      resource: 'erp://invoices/2026-118',
      outcome: 'failure',
      duration_ms: 12.25,
      attributes: {
        'otel.trace_id': TRACE_ID,
        'otel.span_id': TOOL_SPAN_ID,
        'otel.parent_span_id': AGENT_SPAN_ID,
        'otel.span.name': 'execute_tool erp.invoice.read',
        'otel.span.kind': 'client',
        'otel.status_code': 'ERROR',
        'otel.status_description': 'upstream timed out',
        'otel.scope.name': 'test-instrumentation',
        'otel.scope.version': '0.1.0',
        'agentwatch.agent_id_from': 'span:gen_ai.agent.id',
        'gen_ai.tool.call.id': 'call_mszu',
        'gen_ai.tool.type': 'function',
        'gen_ai.tool.description': 'Reads an invoice',
        'error.type': 'timeout',
        'gen_ai.agent.name': 'Invoice bot',
        'retry.count': '2',
        'resource.service.name': 'finance-agents',
      },
    });
  });

  describe('agent identity precedence', () => {
    const withAgent = (toolExtra: Record<string, unknown>, agentExtra: Record<string, unknown> | null, resource?: Record<string, unknown>) =>
      otlpExport([otlpSpan(toolAttrs('t', toolExtra)), ...(agentExtra ? [agentSpan(agentExtra)] : [])], resource);

    it('span gen_ai.agent.id, then span gen_ai.agent.name', () => {
      expect(only(withAgent({ 'gen_ai.agent.id': 'id-1', 'gen_ai.agent.name': 'name-1' }, null)).agent_id).toBe('id-1');
      expect(only(withAgent({ 'gen_ai.agent.name': 'name-1' }, { 'gen_ai.agent.id': 'parent-id' })).agent_id).toBe('name-1');
    });

    it('then the invoke_agent ancestor (id before name), then the resource', () => {
      const e = only(withAgent({}, { 'gen_ai.agent.id': 'asst_5j66', 'gen_ai.agent.name': 'Math Tutor' }, { 'gen_ai.agent.id': 'res-agent' }));
      expect(e.agent_id).toBe('asst_5j66');
      expect(e.attributes?.['agentwatch.agent_id_from']).toBe('agent_span:gen_ai.agent.id');
      expect(e.attributes?.['agentwatch.agent_span_match']).toBe('ancestor');
      expect(only(withAgent({}, { 'gen_ai.agent.description': 'no identity here' }, { 'gen_ai.agent.name': 'res-agent' })).agent_id).toBe('res-agent');
    });

    it('resource service.name is the last resort; unknown_service placeholders are no identity', () => {
      expect(only(withAgent({}, null, { 'service.name': 'billing-agent' })).agent_id).toBe('billing-agent');
      const r = adapter.map(withAgent({}, null, { 'service.name': 'unknown_service:python' }));
      expect(r.events).toEqual([]);
      expect(r.rejects).toEqual([
        {
          path: 'resourceSpans[0].scopeSpans[0].spans[0]',
          reason:
            'no agent identity: none of span:gen_ai.agent.id, span:gen_ai.agent.name, agent_span:gen_ai.agent.id, agent_span:gen_ai.agent.name, ' +
            'resource:gen_ai.agent.id, resource:gen_ai.agent.name, resource:service.name is set (no invoke_agent span found for agent_span:*); ' +
            'ignored as placeholders: resource:service.name="unknown_service:python"',
        },
      ]);
    });

    it('precedence, placeholders and the id template are configurable', () => {
      const custom = createOtlpAdapter({
        agentIdFrom: ['resource:service.name', 'span:gen_ai.agent.name'],
        ignoredAgentIds: ['agent-host'],
        agentIdTemplate: 'spiffe://corp.example/agents/{value}',
      });
      expect(only(withAgent({ 'gen_ai.agent.name': 'planner' }, null, { 'service.name': 'agent-host' }), custom).agent_id).toBe(
        'spiffe://corp.example/agents/planner',
      );
      expect(only(withAgent({ 'gen_ai.agent.name': 'planner' }, null, { 'service.name': 'research' }), custom).agent_id).toBe(
        'spiffe://corp.example/agents/research',
      );
      // `$&` in a value is text, not a replacement pattern.
      expect(only(withAgent({ 'gen_ai.agent.name': 'a$&b' }, null, { 'service.name': 'agent-host' }), custom).agent_id).toBe(
        'spiffe://corp.example/agents/a$&b',
      );
    });

    it('a numeric agent id is used as its decimal text; a boolean or an array is not an identity', () => {
      expect(only(withAgent({ 'gen_ai.agent.id': 42 }, null)).agent_id).toBe('42');
      expect(only(withAgent({ 'gen_ai.agent.id': true, 'gen_ai.agent.name': ['x'] }, null, { 'service.name': 'svc' })).agent_id).toBe('svc');
    });
  });

  describe('finding the invoke_agent span', () => {
    const mid = (spanId: string, parent: string) =>
      otlpSpan({ 'gen_ai.operation.name': 'chat' }, { spanId, parentSpanId: parent, name: 'chat', startTimeUnixNano: ns(1), endTimeUnixNano: ns(50) });

    it('walks the parent chain through non-agent spans and stops at the nearest invoke_agent', () => {
      const record = otlpExport([
        otlpSpan(toolAttrs('t'), { parentSpanId: '00000000000000c1' }),
        mid('00000000000000c1', '00000000000000a2'),
        agentSpan({ 'gen_ai.agent.name': 'sub-agent' }, { spanId: '00000000000000a2', parentSpanId: AGENT_SPAN_ID }),
        agentSpan({ 'gen_ai.agent.name': 'orchestrator' }),
      ]);
      const e = only(record);
      expect(e.agent_id).toBe('sub-agent');
      expect(e.attributes?.['agentwatch.agent_span_id']).toBe('00000000000000a2');
    });

    it('a broken chain falls back to the single enclosing invoke_agent span of the trace, never to two', () => {
      const orphan = otlpSpan(toolAttrs('t'), { parentSpanId: '00000000000000ff' });
      expect(only(otlpExport([orphan, agentSpan({ 'gen_ai.agent.name': 'solo' })], {})).attributes?.['agentwatch.agent_span_match']).toBe('enclosing');
      const two = otlpExport([orphan, agentSpan({ 'gen_ai.agent.name': 'a' }), agentSpan({ 'gen_ai.agent.name': 'b' }, { spanId: '00000000000000b2' })], {});
      expect(adapter.map(two).rejects[0]?.reason).toMatch(/^no agent identity: .*\(no invoke_agent span found for agent_span:\*\)/);
      // An agent span of another trace, or one that does not enclose the call, does not count.
      const otherTrace = agentSpan({ 'gen_ai.agent.name': 'x' }, { traceId: 'ffffffffffffffffffffffffffffffff' });
      expect(adapter.map(otlpExport([orphan, otherTrace], {})).events).toEqual([]);
      const before = agentSpan({ 'gen_ai.agent.name': 'x' }, { endTimeUnixNano: ns(4) });
      expect(adapter.map(otlpExport([orphan, before], {})).events).toEqual([]);
    });

    it('a chain that reaches its root inside the export without an agent span is not guessed at', () => {
      const record = otlpExport(
        [
          otlpSpan(toolAttrs('t'), { parentSpanId: '00000000000000c1' }),
          otlpSpan({ 'http.request.method': 'POST' }, { spanId: '00000000000000c1', parentSpanId: '', startTimeUnixNano: ns(0), endTimeUnixNano: ns(200) }),
          agentSpan({ 'gen_ai.agent.name': 'sibling' }, { spanId: '00000000000000a9', parentSpanId: '00000000000000c1' }),
        ],
        {},
      );
      expect(adapter.map(record).events).toEqual([]);
    });

    it('survives parent cycles', () => {
      const record = otlpExport(
        [
          otlpSpan(toolAttrs('t'), { parentSpanId: '00000000000000c1' }),
          mid('00000000000000c1', '00000000000000c2'),
          mid('00000000000000c2', '00000000000000c1'),
        ],
        {},
      );
      expect(adapter.map(record).rejects[0]?.reason).toMatch(/^no agent identity/);
    });
  });

  describe('outcome', () => {
    const outcome = (status: unknown, extra: Record<string, unknown> = {}) =>
      toolCall(only(otlpExport([otlpSpan(toolAttrs('t', { 'gen_ai.agent.id': 'a', ...extra }), { status })]))).outcome;

    it('status ERROR is failure, in any spelling; OK and UNSET are success', () => {
      expect(outcome({ code: 2 })).toBe('failure');
      expect(outcome({ code: 'STATUS_CODE_ERROR' })).toBe('failure');
      expect(outcome({ code: 1 })).toBe('success');
      expect(outcome({ code: 'STATUS_CODE_OK' })).toBe('success');
      expect(outcome({ code: 0 })).toBe('success');
      expect(outcome(undefined)).toBe('success');
    });

    it('error.type on an unset status is failure; an explicit OK wins over it', () => {
      expect(outcome({}, { 'error.type': '_OTHER' })).toBe('failure');
      expect(outcome({ code: 1 }, { 'error.type': 'timeout' })).toBe('success');
    });

    it('an error.type that is a refusal is denied', () => {
      expect(outcome({ code: 2 }, { 'error.type': 'PermissionDenied' })).toBe('denied');
      expect(outcome({ code: 2 }, { 'error.type': 'permission-denied' })).toBe('denied');
      expect(outcome({}, { 'error.type': '403' })).toBe('denied');
      expect(outcome({ code: 2 }, { 'error.type': 'botocore.exceptions.AccessDenied' })).toBe('denied');
      expect(outcome({ code: 2 }, { 'error.type': 'java.net.UnknownHostException' })).toBe('failure');
    });

    it('an unknown status code is a reject naming it', () => {
      const r = adapter.map(otlpExport([otlpSpan(toolAttrs('t', { 'gen_ai.agent.id': 'a' }), { status: { code: 7 } })]));
      expect(r.rejects[0]?.reason).toBe('status.code: expected 0, 1, 2 or STATUS_CODE_UNSET/OK/ERROR, got 7');
    });
  });

  describe('JSON encoding tolerance', () => {
    const base = toolAttrs('t', { 'gen_ai.agent.id': 'a' });

    it('int64 times as JSON numbers, snake_case field names, upper-case hex and base64 ids', () => {
      const e = only({
        resource_spans: [
          {
            scope_spans: [
              {
                spans: [
                  {
                    trace_id: Buffer.from(TRACE_ID, 'hex').toString('base64'),
                    span_id: TOOL_SPAN_ID.toUpperCase(),
                    start_time_unix_nano: Number(ns(5)),
                    end_time_unix_nano: Number(ns(6)),
                    attributes: kv(base),
                  },
                ],
              },
            ],
          },
        ],
      });
      expect(e.event_id).toBe(`otel:${TRACE_ID}:${TOOL_SPAN_ID}`);
      expect(e.time).toBe('2026-11-02T09:00:00.005Z');
    });

    it('AnyValue variants: intValue as string or number, doubles, arrays, kvlists, bytes, empty values', () => {
      const span = otlpSpan({}, {});
      span['attributes'] = [
        ...kv(base),
        { key: 'n.str', value: { intValue: '9007199254740993' } },
        { key: 'n.num', value: { intValue: 7 } },
        { key: 'd.nan', value: { doubleValue: 'NaN' } },
        { key: 'arr', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: '1' }, {}] } } },
        { key: 'kv', value: { kvlistValue: { values: [{ key: 'k', value: { boolValue: false } }] } } },
        { key: 'raw', value: { bytesValue: 'AQID' } },
        { key: 'empty', value: {} },
        { key: 'bad', value: { intValue: 'twelve' } },
        { key: 'n.num', value: { intValue: 8 } },
        { value: { stringValue: 'no key' } },
      ];
      expect(only(otlpExport([span])).attributes).toMatchObject({
        'n.str': '9007199254740993',
        'n.num': '7',
        'd.nan': 'NaN',
        arr: '["a",1,null]',
        kv: '{"k":false}',
        raw: 'AQID',
      });
      const attrs = only(otlpExport([span])).attributes ?? {};
      expect(attrs).not.toHaveProperty('empty');
      expect(attrs).not.toHaveProperty('bad');
    });
  });

  describe('optional field mapping', () => {
    it('environment from the span or the resource (new and old semconv names)', () => {
      const e1 = only(
        otlpExport([otlpSpan(toolAttrs('t', { 'gen_ai.agent.id': 'a', 'deployment.environment.name': 'staging' }))], { 'deployment.environment.name': 'prod' }),
      );
      expect(e1.environment).toBe('staging');
      expect(only(otlpExport([otlpSpan(toolAttrs('t', { 'gen_ai.agent.id': 'a' }))], { 'deployment.environment': 'dev' })).environment).toBe('dev');
    });

    it('session and on_behalf_of fall back to the agent span; url.full is a resource', () => {
      const e = only(
        otlpExport([
          otlpSpan(toolAttrs('http.get', { 'url.full': 'https://api.example/x' })),
          agentSpan({ 'gen_ai.agent.id': 'a', 'gen_ai.conversation.id': 'conv-1', 'enduser.id': 'bob@corp.example' }),
        ]),
      );
      expect(e).toMatchObject({ session_id: 'conv-1', on_behalf_of: 'bob@corp.example', resource: 'https://api.example/x' });
    });

    it('action and token_id have no semconv default but are configurable; an invalid action is left in attributes', () => {
      const a = createOtlpAdapter({ actionFrom: ['span:app.tool.action'], tokenIdFrom: ['span:app.token.jti', 'agent_span:app.token.jti'] });
      const ok = toolCall(
        only(otlpExport([otlpSpan(toolAttrs('t', { 'gen_ai.agent.id': 'a', 'app.tool.action': 'read' })), agentSpan({ 'app.token.jti': 'tok-91' })]), a),
      );
      expect(ok).toMatchObject({ action: 'read', token_id: 'tok-91' });
      expect(ok.attributes).not.toHaveProperty('app.tool.action');
      const bad = toolCall(only(otlpExport([otlpSpan(toolAttrs('t', { 'gen_ai.agent.id': 'a', 'app.tool.action': 'explode' }))]), a));
      expect(bad.action).toBeUndefined();
      expect(bad.attributes?.['app.tool.action']).toBe('explode');
    });

    it('duration is left out when the end time is missing or before the start', () => {
      const noEnd = toolCall(only(otlpExport([otlpSpan(toolAttrs('t', { 'gen_ai.agent.id': 'a' }), { endTimeUnixNano: undefined })])));
      expect(noEnd.duration_ms).toBeUndefined();
      const backwards = toolCall(only(otlpExport([otlpSpan(toolAttrs('t', { 'gen_ai.agent.id': 'a' }), { endTimeUnixNano: ns(1) })])));
      expect(backwards.duration_ms).toBeUndefined();
    });
  });

  describe('attributes stay bounded', () => {
    it('at most maxAttributes entries, the overflow counted; long values cut', () => {
      const many: Record<string, unknown> = { 'gen_ai.agent.id': 'a' };
      for (let i = 0; i < 500; i++) many[`custom.${i}`] = 'v'.repeat(5000);
      const e = only(otlpExport([otlpSpan(toolAttrs('t', many))]));
      const attrs = e.attributes ?? {};
      expect(Object.keys(attrs)).toHaveLength(64);
      expect(Number(attrs['agentwatch.attributes_dropped'])).toBeGreaterThan(400);
      expect(attrs['custom.0']).toBe(`${'v'.repeat(1024)}…[5000 chars]`);
      expect(attrs['otel.trace_id']).toBe(TRACE_ID);
    });

    it('content attributes are excluded by default, and the list is configurable', () => {
      const span = otlpSpan(toolAttrs('t', { 'gen_ai.agent.id': 'a', 'gen_ai.tool.call.result': '{"secret": 1}', 'gen_ai.tool.call.arguments': '{}' }));
      expect(only(otlpExport([span])).attributes).not.toHaveProperty('gen_ai.tool.call.result');
      const keepAll = createOtlpAdapter({ excludeAttributes: [] });
      expect(only(otlpExport([span]), keepAll).attributes?.['gen_ai.tool.call.result']).toBe('{"secret": 1}');
    });
  });

  describe('skips and rejects', () => {
    it('non-tool spans are skipped and counted, with the first reason', () => {
      const r = adapter.map(
        otlpExport([
          otlpSpan({ 'gen_ai.operation.name': 'chat' }, { name: 'chat gpt-4o' }),
          otlpSpan({ 'http.request.method': 'GET' }, { name: 'GET /health' }),
          agentSpan({ 'gen_ai.agent.id': 'a' }),
        ]),
      );
      expect(r).toEqual({ events: [], rejects: [], skipped: 3, skipReason: 'span "chat gpt-4o": gen_ai.operation.name is "chat", not execute_tool' });
      expect(adapter.map(otlpExport([otlpSpan({}, { name: 'GET /health' })])).skipReason).toBe(
        'span "GET /health": no gen_ai.operation.name, so not a GenAI tool call',
      );
    });

    it('an empty export is one skip', () => {
      expect(adapter.map({ resourceSpans: [] })).toEqual({ events: [], rejects: [], skipped: 1, skipReason: 'the export holds no spans' });
    });

    it.each([
      [
        'no tool name',
        otlpSpan({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.agent.id': 'a' }),
        'gen_ai.tool.name: expected the tool name (a non-empty string of at most 1024 chars) on an execute_tool span, got nothing (missing)',
      ],
      [
        'a huge tool name',
        otlpSpan(toolAttrs('x'.repeat(5000), { 'gen_ai.agent.id': 'a' })),
        'gen_ai.tool.name: expected the tool name (a non-empty string of at most 1024 chars) on an execute_tool span, got 5000 chars',
      ],
      ['a bad trace id', otlpSpan(toolAttrs('t', { 'gen_ai.agent.id': 'a' }), { traceId: 'xyz' }), 'traceId: expected a 32-digit hex trace id, got "xyz"'],
      ['an all-zero span id', otlpSpan(toolAttrs('t', { 'gen_ai.agent.id': 'a' }), { spanId: '0000000000000000' }), 'spanId: an all-zero span id is invalid'],
      [
        'no start time',
        otlpSpan(toolAttrs('t', { 'gen_ai.agent.id': 'a' }), { startTimeUnixNano: undefined }),
        'startTimeUnixNano: expected nanoseconds since the epoch (a decimal string or integer), got nothing (missing)',
      ],
      [
        'a zero start time',
        otlpSpan(toolAttrs('t', { 'gen_ai.agent.id': 'a' }), { startTimeUnixNano: '0' }),
        'start time: 0 ns since the epoch is not a usable time',
      ],
      [
        'an RFC 3339 start time',
        otlpSpan(toolAttrs('t', { 'gen_ai.agent.id': 'a' }), { startTimeUnixNano: '2026-11-02T09:00:00Z' }),
        'startTimeUnixNano: expected nanoseconds since the epoch (a decimal string or integer), got "2026-11-02T09:00:00Z"',
      ],
      [
        'attributes as an object',
        otlpSpan({}, { attributes: { 'gen_ai.operation.name': 'execute_tool' } }),
        'attributes: expected an array of {key, value}, got an object',
      ],
      ['an agent id longer than events.md allows', otlpSpan(toolAttrs('t', { 'gen_ai.agent.id': 'a'.repeat(300) })), 'mapped event is not canonical: '],
    ])('%s', (_name, span, reason) => {
      const r = adapter.map(otlpExport([span]));
      expect(r.events).toEqual([]);
      expect(r.rejects).toHaveLength(1);
      expect(r.rejects[0]?.path).toBe('resourceSpans[0].scopeSpans[0].spans[0]');
      expect(r.rejects[0]?.reason.startsWith(reason)).toBe(true);
    });

    it('structure problems are rejected with their path while the rest of the export is mapped', () => {
      const good = otlpSpan(toolAttrs('t', { 'gen_ai.agent.id': 'a' }));
      const r = adapter.map({
        resourceSpans: [
          null,
          { scopeSpans: 'nope' },
          { resource: { attributes: 'x' }, scopeSpans: [] },
          { scopeSpans: [7, { spans: {} }, { spans: [null, good] }] },
        ],
      });
      expect(r.events).toHaveLength(1);
      expect(r.rejects).toEqual([
        { reason: 'resourceSpans[0]: expected an object, got null', path: 'resourceSpans[0]' },
        { reason: 'resourceSpans[1].scopeSpans: expected an array, got "nope"', path: 'resourceSpans[1]' },
        { reason: 'resourceSpans[2].resource.attributes: expected an array of {key, value}, got "x"', path: 'resourceSpans[2]' },
        { reason: 'resourceSpans[3].scopeSpans[0]: expected an object, got 7', path: 'resourceSpans[3].scopeSpans[0]' },
        { reason: 'resourceSpans[3].scopeSpans[1].spans: expected an array, got an object', path: 'resourceSpans[3].scopeSpans[1]' },
        { reason: 'resourceSpans[3].scopeSpans[2].spans[0]: expected a span object, got null', path: 'resourceSpans[3].scopeSpans[2].spans[0]' },
      ]);
    });
  });

  it('the same export twice gives the same event ids (idempotent ingest)', () => {
    const record = otlpExport([otlpSpan(toolAttrs('t', { 'gen_ai.agent.id': 'a' }))]);
    expect(adapter.map(record).events[0]?.event_id).toBe(adapter.map(structuredClone(record)).events[0]?.event_id);
  });

  it('invalid options are a configuration error naming the option', () => {
    expect(() => createOtlpAdapter({ agentIdFrom: ['gen_ai.agent.id'] })).toThrow(/agentIdFrom/);
    expect(() => createOtlpAdapter({ agentIdTemplate: 'spiffe://x/agents' })).toThrow(/must contain \{value\}/);
    expect(() => createOtlpAdapter({ bogus: true } as never)).toThrow(/bogus/);
  });
});

describe('detectOtlp', () => {
  it('claims OTLP/JSON exports and any-agent traces', () => {
    expect(detectOtlp(otlpExport([]))).toBe(true);
    expect(detectOtlp({ resource_spans: [] })).toBe(true);
    expect(detectOtlp(readSample('any-agent_OPENAI_trace.json'))).toBe(true);
  });

  it.each([
    ['a canonical event', { kind: 'tool_call', event_id: 'e-1', time: '2026-11-02T09:00:00Z', agent_id: 'a', tool: 't', outcome: 'success' }],
    ['a CloudTrail record', { eventVersion: '1.08', eventSource: 'sts.amazonaws.com', eventName: 'AssumeRole', userIdentity: {} }],
    ['a Vault audit line', { type: 'request', time: '2026-11-02T09:00:00Z', auth: {}, request: { id: 'x' } }],
    ['an MCP request', { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'x' } }],
    ['spans without a context', { spans: [{ name: 'x' }] }],
    ['an empty spans list', { spans: [] }],
    ['null', null],
    ['an array', [{ resourceSpans: [] }]],
    ['a string', 'resourceSpans'],
  ])('does not claim %s', (_name, record) => {
    expect(detectOtlp(record)).toBe(false);
  });
});
