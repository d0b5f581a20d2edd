import { describe, expect, it } from 'vitest';
import { createOtlpAdapter, decodeOtlpTraceBody, decodeOtlpTraceProtobuf, mapOtlpTraceRequest, OtlpDecodeError } from '../src/otlp/index.ts';
import { agentRun, recordSpans, T0_MS, toJsonBytes, toProtobuf } from './otlp-fixtures.ts';

/**
 * The protobuf and JSON paths against an encoder we did not write: spans recorded by the OpenTelemetry JS
 * SDK, serialised by @opentelemetry/otlp-transformer (its own hand-written protobuf writer).
 */
const spans = recordSpans({ 'service.name': 'finance-agents', 'deployment.environment.name': 'prod' }, (tracer) =>
  agentRun(tracer, { 'gen_ai.agent.name': 'invoice-bot', 'gen_ai.agent.id': 'asst_5j66', 'gen_ai.conversation.id': 'conv_1' }, [
    {
      tool: 'erp.invoice.read',
      at: 5,
      ms: 12.5,
      attributes: { 'gen_ai.tool.call.id': 'call_1', 'gen_ai.tool.type': 'function', 'app.rows': 3, 'app.big': 2 ** 60, 'app.ratio': 0.25, 'app.flag': true },
    },
    { tool: 'payments.transfer', at: 40, ms: 3, error: 'PermissionDenied' },
  ]),
);
// CountingIds (otlp-fixtures): the SDK draws the root's span id (1) before its trace id (2); the tool spans get 3 and 4.
const TRACE = `${'a'.repeat(31)}2`;
const spanHex = (n: number) => n.toString(16).padStart(16, 'b');

const adapter = createOtlpAdapter();

describe('OTLP/protobuf decoding', () => {
  it('decodes an SDK export into the OTLP/JSON shape: hex ids, int64 as strings, enums as numbers', () => {
    const decoded = decodeOtlpTraceProtobuf(toProtobuf(spans)) as {
      resourceSpans: { scopeSpans: { scope: unknown; spans: Record<string, unknown>[] }[]; resource: unknown }[];
    };
    const [rs] = decoded.resourceSpans;
    expect(rs?.resource).toEqual({
      attributes: [
        { key: 'service.name', value: { stringValue: 'finance-agents' } },
        { key: 'deployment.environment.name', value: { stringValue: 'prod' } },
      ],
      droppedAttributesCount: 0,
    });
    expect(rs?.scopeSpans[0]?.scope).toEqual({ name: 'agentwatch-test-instrumentation', version: '1.0.0' });
    const tool = rs?.scopeSpans[0]?.spans[0];
    expect(tool).toMatchObject({
      traceId: TRACE,
      spanId: spanHex(3),
      parentSpanId: spanHex(1),
      name: 'execute_tool erp.invoice.read',
      kind: 1,
      startTimeUnixNano: '1793610000005000000',
      endTimeUnixNano: '1793610000017500000',
      status: { code: 0 },
    });
    expect(tool?.['attributes']).toEqual([
      { key: 'gen_ai.operation.name', value: { stringValue: 'execute_tool' } },
      { key: 'gen_ai.tool.name', value: { stringValue: 'erp.invoice.read' } },
      { key: 'gen_ai.tool.call.id', value: { stringValue: 'call_1' } },
      { key: 'gen_ai.tool.type', value: { stringValue: 'function' } },
      { key: 'app.rows', value: { intValue: '3' } },
      { key: 'app.big', value: { intValue: '1152921504606846976' } },
      { key: 'app.ratio', value: { doubleValue: 0.25 } },
      { key: 'app.flag', value: { boolValue: true } },
    ]);
    expect(rs?.scopeSpans[0]?.spans[1]).toMatchObject({ status: { code: 2, message: 'payments.transfer failed' } });
  });

  it('protobuf and JSON serialisations of the same spans map to identical events', () => {
    const fromProtobuf = adapter.map(decodeOtlpTraceProtobuf(toProtobuf(spans)));
    const fromJson = adapter.map(JSON.parse(new TextDecoder().decode(toJsonBytes(spans))));
    expect(fromProtobuf.rejects).toEqual([]);
    expect(fromProtobuf.skipped).toBe(1);
    expect(fromProtobuf.events).toEqual(fromJson.events);
    expect(fromProtobuf.events).toEqual([
      {
        kind: 'tool_call',
        event_id: `otel:${TRACE}:${spanHex(3)}`,
        time: new Date(T0_MS + 5).toISOString(),
        agent_id: 'asst_5j66',
        source: 'otel',
        environment: 'prod',
        session_id: 'conv_1',
        tool: 'erp.invoice.read',
        outcome: 'success',
        duration_ms: 12.5,
        attributes: {
          'otel.trace_id': TRACE,
          'otel.span_id': spanHex(3),
          'otel.parent_span_id': spanHex(1),
          'otel.span.name': 'execute_tool erp.invoice.read',
          'otel.span.kind': 'internal',
          'otel.scope.name': 'agentwatch-test-instrumentation',
          'otel.scope.version': '1.0.0',
          'agentwatch.agent_id_from': 'agent_span:gen_ai.agent.id',
          'agentwatch.agent_span_id': spanHex(1),
          'agentwatch.agent_span_match': 'ancestor',
          'gen_ai.tool.call.id': 'call_1',
          'gen_ai.tool.type': 'function',
          'app.rows': '3',
          // JSON carries 2^60 as a JS number, protobuf as an exact int64: both print the same.
          'app.big': '1152921504606846976',
          'app.ratio': '0.25',
          'app.flag': 'true',
          'resource.service.name': 'finance-agents',
        },
      },
      {
        kind: 'tool_call',
        event_id: `otel:${TRACE}:${spanHex(4)}`,
        time: new Date(T0_MS + 40).toISOString(),
        agent_id: 'asst_5j66',
        source: 'otel',
        environment: 'prod',
        session_id: 'conv_1',
        tool: 'payments.transfer',
        outcome: 'denied',
        duration_ms: 3,
        attributes: {
          'otel.trace_id': TRACE,
          'otel.span_id': spanHex(4),
          'otel.parent_span_id': spanHex(1),
          'otel.span.name': 'execute_tool payments.transfer',
          'otel.span.kind': 'internal',
          'otel.status_code': 'ERROR',
          'otel.status_description': 'payments.transfer failed',
          'otel.scope.name': 'agentwatch-test-instrumentation',
          'otel.scope.version': '1.0.0',
          'agentwatch.agent_id_from': 'agent_span:gen_ai.agent.id',
          'agentwatch.agent_span_id': spanHex(1),
          'agentwatch.agent_span_match': 'ancestor',
          'error.type': 'PermissionDenied',
          'resource.service.name': 'finance-agents',
        },
      },
    ]);
  });

  it('an empty request decodes to an export with no spans', () => {
    expect(decodeOtlpTraceProtobuf(new Uint8Array())).toEqual({ resourceSpans: [] });
    expect(adapter.map(decodeOtlpTraceProtobuf(new Uint8Array()))).toMatchObject({ events: [], skipped: 1, skipReason: 'the export holds no spans' });
  });

  it('truncated or malformed bytes throw an OtlpDecodeError (HTTP 400) with the decoder reason', () => {
    const good = toProtobuf(spans);
    for (const bad of [good.subarray(0, good.length - 7), new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), new Uint8Array([0x0f])]) {
      let error: unknown;
      try {
        decodeOtlpTraceProtobuf(bad);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(OtlpDecodeError);
      expect((error as OtlpDecodeError).httpStatus).toBe(400);
      expect((error as Error).message).toMatch(/^invalid OTLP\/protobuf ExportTraceServiceRequest: \S/);
    }
  });

  it('absurdly deep AnyValue nesting is a decode error, not a crash', () => {
    let error: unknown;
    try {
      decodeOtlpTraceProtobuf(deeplyNestedRequest(200_000));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OtlpDecodeError);
  });

  it('random bytes either decode to something the adapter maps without throwing, or throw OtlpDecodeError', () => {
    const rand = lcg(7);
    const good = toProtobuf(spans);
    for (let i = 0; i < 300; i++) {
      const bytes = i % 2 === 0 ? Uint8Array.from({ length: rand() % 200 }, () => rand() % 256) : flipBytes(good, rand);
      let decoded: unknown;
      try {
        decoded = decodeOtlpTraceProtobuf(bytes);
      } catch (e) {
        expect(e).toBeInstanceOf(OtlpDecodeError);
        continue;
      }
      expect(() => adapter.map(decoded)).not.toThrow();
    }
  });
});

describe('decodeOtlpTraceBody / mapOtlpTraceRequest (POST /v1/traces)', () => {
  it('dispatches on Content-Type, parameters and case ignored', () => {
    const viaProtobuf = mapOtlpTraceRequest(adapter, toProtobuf(spans), 'application/x-protobuf');
    const viaJson = mapOtlpTraceRequest(adapter, toJsonBytes(spans), 'Application/JSON; charset=utf-8');
    expect(viaProtobuf.events).toHaveLength(2);
    expect(viaJson.events).toEqual(viaProtobuf.events);
    expect(decodeOtlpTraceBody(toProtobuf(spans), 'application/protobuf')).toEqual(decodeOtlpTraceProtobuf(toProtobuf(spans)));
  });

  it('an empty JSON object is an empty export', () => {
    expect(decodeOtlpTraceBody(new TextEncoder().encode('{}'), 'application/json')).toEqual({ resourceSpans: [] });
  });

  it.each([
    ['text/plain', '{}', 415, /^unsupported content type "text\/plain"/],
    [undefined, '{}', 415, /^unsupported content type ""/],
    ['application/json', '{"resourceSpans": [', 400, /^invalid OTLP\/JSON body: /],
    ['application/json', '[1, 2]', 400, /^invalid OTLP\/JSON body: expected an ExportTraceServiceRequest object$/],
    ['application/json', 'null', 400, /^invalid OTLP\/JSON body: expected/],
  ])('%s %s -> %i', (contentType, body, status, message) => {
    let error: unknown;
    try {
      decodeOtlpTraceBody(new TextEncoder().encode(body), contentType);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OtlpDecodeError);
    expect((error as OtlpDecodeError).httpStatus).toBe(status);
    expect((error as Error).message).toMatch(message);
  });

  it('invalid UTF-8 in a JSON body is a 400', () => {
    expect(() => decodeOtlpTraceBody(new Uint8Array([0x7b, 0xff, 0x7d]), 'application/json')).toThrow(OtlpDecodeError);
  });
});

/** A tiny deterministic PRNG, so a failure reproduces. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s >>> 8;
  };
}

function flipBytes(bytes: Uint8Array, rand: () => number): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (let i = 0, n = 1 + (rand() % 4); i < n; i++) out[rand() % out.length] = rand() % 256;
  return out;
}

/**
 * ExportTraceServiceRequest{resource_spans{scope_spans{spans{attributes{key, value: AnyValue{array_value{values:
 * AnyValue{array_value{...}}}}}}}}}, `depth` levels deep, written front to back with precomputed lengths.
 */
function deeplyNestedRequest(depth: number): Uint8Array {
  const varintSize = (n: number) => (n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5);
  // Innermost: an empty AnyValue. Each level wraps it as AnyValue{array_value(5)=ArrayValue{values(1)=inner}}.
  const levels: number[] = [];
  let anyValueLen = 0;
  for (let i = 0; i < depth; i++) {
    const arrayLen = 1 + varintSize(anyValueLen) + anyValueLen;
    levels.push(anyValueLen, arrayLen);
    anyValueLen = 1 + varintSize(arrayLen) + arrayLen;
  }
  const keyValueLen = 3 + 1 + varintSize(anyValueLen) + anyValueLen; // key "k" (field 1) + value (field 2)
  const spanLen = 1 + varintSize(keyValueLen) + keyValueLen; // attributes: field 9
  const scopeSpansLen = 1 + varintSize(spanLen) + spanLen; // spans: field 2
  const resourceSpansLen = 1 + varintSize(scopeSpansLen) + scopeSpansLen; // scope_spans: field 2
  const out: number[] = [];
  const varint = (n: number) => {
    let v = n;
    while (v >= 0x80) {
      out.push((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    out.push(v);
  };
  /** The header of a length-delimited field: tag (wire type 2) and length. */
  const header = (field: number, length: number) => {
    out.push((field << 3) | 2);
    varint(length);
  };
  header(1, resourceSpansLen);
  header(2, scopeSpansLen);
  header(2, spanLen);
  header(9, keyValueLen);
  header(1, 1);
  out.push(0x6b);
  header(2, anyValueLen);
  for (let i = depth - 1; i >= 0; i--) {
    header(5, levels[2 * i + 1] as number);
    header(1, levels[2 * i] as number);
  }
  return Uint8Array.from(out);
}
