import { readFileSync } from 'node:fs';
import { context, type Span, SpanKind, type Tracer, trace } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

/** Test helpers for the OTLP adapter: sample files read in place, hand-made OTLP/JSON, and SDK-made spans. */

const SAMPLES = new URL('../../../../shared/samples/otel-genai/', import.meta.url);

export function readSample(name: 'any-agent_OPENAI_trace.json' | 'any-agent_GOOGLE_trace.json'): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(name, SAMPLES), 'utf8'));
}

/** A JS value as an OTLP/JSON AnyValue. */
export function anyValue(v: unknown): Record<string, unknown> {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  if (Array.isArray(v)) return { arrayValue: { values: v.map(anyValue) } };
  if (v !== null && typeof v === 'object') return { kvlistValue: { values: kv(v as Record<string, unknown>) } };
  return {};
}

export function kv(o: Record<string, unknown>): { key: string; value: Record<string, unknown> }[] {
  return Object.entries(o).map(([key, value]) => ({ key, value: anyValue(value) }));
}

export const TRACE_ID = '5b8efff798038103d269b633813fc60c';
export const AGENT_SPAN_ID = 'eee19b7ec3c1b174';
export const TOOL_SPAN_ID = 'eee19b7ec3c1b173';
/** 2026-11-02T09:00:00.000Z in ns. */
export const T0_NS = 1_793_610_000_000_000_000n;
export const ns = (msAfterT0: number): string => (T0_NS + BigInt(Math.round(msAfterT0 * 1e6))).toString();

export function otlpSpan(attributes: Record<string, unknown>, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    traceId: TRACE_ID,
    spanId: TOOL_SPAN_ID,
    parentSpanId: AGENT_SPAN_ID,
    name: `execute_tool ${String(attributes['gen_ai.tool.name'] ?? '')}`,
    kind: 1,
    startTimeUnixNano: ns(5),
    endTimeUnixNano: ns(17.25),
    attributes: kv(attributes),
    status: {},
    ...over,
  };
}

export function agentSpan(attributes: Record<string, unknown>, over: Record<string, unknown> = {}): Record<string, unknown> {
  return otlpSpan(
    { 'gen_ai.operation.name': 'invoke_agent', ...attributes },
    { spanId: AGENT_SPAN_ID, parentSpanId: '', name: 'invoke_agent', startTimeUnixNano: ns(0), endTimeUnixNano: ns(100), ...over },
  );
}

export function toolAttrs(tool: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': tool, ...extra };
}

export function otlpExport(spans: Record<string, unknown>[], resource: Record<string, unknown> = { 'service.name': 'agent-host' }): Record<string, unknown> {
  return { resourceSpans: [{ resource: { attributes: kv(resource) }, scopeSpans: [{ scope: { name: 'test-instrumentation', version: '0.1.0' }, spans }] }] };
}

/** Counting ids, so SDK-made spans have ids a test can write down. */
class CountingIds {
  constructor(private n = 0) {}
  generateTraceId(): string {
    return (++this.n).toString(16).padStart(32, 'a');
  }
  generateSpanId(): string {
    return (++this.n).toString(16).padStart(16, 'b');
  }
}

/**
 * Spans recorded by the real OpenTelemetry JS SDK (BasicTracerProvider + InMemorySpanExporter), so the
 * protobuf and JSON paths are tested against an encoder we did not write. Ids count up from `firstId`
 * (give two recordings different ones when their spans go into one export).
 */
export function recordSpans(resource: Record<string, string>, build: (tracer: Tracer) => void, firstId = 0): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes(resource),
    idGenerator: new CountingIds(firstId),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  build(provider.getTracer('agentwatch-test-instrumentation', '1.0.0'));
  return exporter.getFinishedSpans();
}

export const T0_MS = Date.parse('2026-11-02T09:00:00.000Z');

/** An `invoke_agent` span and, under it, one `execute_tool` span per call (GenAI semconv names and kinds). */
export function agentRun(
  tracer: Tracer,
  agent: Record<string, string>,
  calls: { tool: string; at: number; ms: number; attributes?: Record<string, string | number | boolean>; error?: string }[],
): void {
  const root = tracer.startSpan(`invoke_agent ${agent['gen_ai.agent.name'] ?? ''}`.trim(), {
    kind: SpanKind.INTERNAL,
    startTime: T0_MS,
    attributes: { 'gen_ai.operation.name': 'invoke_agent', ...agent },
  });
  const ctx = trace.setSpan(context.active(), root);
  let end = T0_MS;
  for (const call of calls) {
    const span: Span = tracer.startSpan(
      `execute_tool ${call.tool}`,
      {
        kind: SpanKind.INTERNAL,
        startTime: T0_MS + call.at,
        attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': call.tool, ...call.attributes },
      },
      ctx,
    );
    if (call.error) {
      span.setAttribute('error.type', call.error);
      span.setStatus({ code: 2, message: `${call.tool} failed` });
    }
    span.end(T0_MS + call.at + call.ms);
    end = Math.max(end, T0_MS + call.at + call.ms);
  }
  root.end(end + 1);
}

export function toProtobuf(spans: ReadableSpan[]): Uint8Array {
  const bytes = ProtobufTraceSerializer.serializeRequest(spans);
  if (!bytes) throw new Error('ProtobufTraceSerializer returned nothing');
  return bytes;
}

export function toJsonBytes(spans: ReadableSpan[]): Uint8Array {
  const bytes = JsonTraceSerializer.serializeRequest(spans);
  if (!bytes) throw new Error('JsonTraceSerializer returned nothing');
  return bytes;
}
