import { z } from 'zod';
import { emptyResult, isObject, mergeInto, rejected, skipped } from '../common.ts';
import type { AdapterResult, RecordAdapter } from '../types.ts';
import { AgentSpanIndex } from './agent-span.ts';
import { type CompiledOptions, compileOptions, mapToolSpan } from './map-tool-span.ts';
import { OtlpOptions, type OtlpOptionsInput } from './options.ts';
import { isAnyAgentTrace, readAnyAgentTrace } from './read-any-agent.ts';
import { readOtlpExport, resourceSpansOf } from './read-otlp-json.ts';
import type { ReadResult } from './span-view.ts';
import { describeValue } from './values.ts';

/**
 * The OpenTelemetry traces adapter: one record is an OTLP/JSON ExportTraceServiceRequest (or an any-agent
 * trace); each GenAI `execute_tool` span in it becomes a `tool_call` event, every other span is skipped.
 * Throws only for invalid options (a configuration error, reported at startup).
 */
export function createOtlpAdapter(options: OtlpOptionsInput = {}): RecordAdapter {
  const parsed = OtlpOptions.safeParse(options);
  if (!parsed.success) throw new Error(`invalid otlp adapter options: ${z.prettifyError(parsed.error)}`);
  const compiled = compileOptions(parsed.data);
  return {
    format: 'otlp',
    map(record: unknown): AdapterResult {
      try {
        return mapRecord(record, compiled);
      } catch (error) {
        // Last line of defence for the never-throw contract (e.g. a stack overflow on absurd nesting).
        return rejected(`record could not be read: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
    flush: emptyResult,
  };
}

/** True for an OTLP/JSON trace export (`resourceSpans`) or an any-agent trace (`spans` with `context.trace_id`). */
export function detectOtlp(record: unknown): boolean {
  if (!isObject(record)) return false;
  return Array.isArray(resourceSpansOf(record)) || isAnyAgentTrace(record);
}

function mapRecord(record: unknown, c: CompiledOptions): AdapterResult {
  const read = readRecord(record);
  if (!('spans' in read)) return read;
  const result = emptyResult();
  for (const r of read.rejects) mergeInto(result, rejected(r.reason, r.path));
  if (read.spans.length === 0 && read.rejects.length === 0) return skipped('the export holds no spans');
  const index = new AgentSpanIndex(read.spans);
  for (const span of read.spans) mergeInto(result, mapToolSpan(span, index, c));
  return result;
}

const EXPECTED = 'expected an OTLP/JSON ExportTraceServiceRequest ({"resourceSpans": [...]}) or an any-agent trace ({"spans": [...]})';

function readRecord(record: unknown): ReadResult | AdapterResult {
  if (!isObject(record)) return rejected(`record: ${EXPECTED}, got ${describeValue(record)}`);
  const resourceSpans = resourceSpansOf(record);
  if (resourceSpans !== undefined) {
    if (!Array.isArray(resourceSpans)) return rejected(`resourceSpans: expected an array, got ${describeValue(resourceSpans)}`);
    return readOtlpExport(resourceSpans);
  }
  const spans = record['spans'];
  if (Array.isArray(spans)) return readAnyAgentTrace(spans);
  const keys = Object.keys(record).slice(0, 8);
  return rejected(`record: ${EXPECTED}, got an object with keys ${keys.length > 0 ? keys.map((k) => describeValue(k)).join(', ') : '(none)'}`);
}
