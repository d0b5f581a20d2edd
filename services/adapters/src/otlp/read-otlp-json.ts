import { isObject } from '../common.ts';
import { parseKind, parseOtlpId, parseStatus, parseUnixNano } from './span-fields.ts';
import { fieldFrom, type ReadResult, type SpanView } from './span-view.ts';
import { type AttrMap, describeValue, keyValueListToMap, prop } from './values.ts';

/** The resourceSpans array of an OTLP/JSON ExportTraceServiceRequest (or TracesData), if the record has one. */
export function resourceSpansOf(record: Record<string, unknown>): unknown {
  return prop(record, 'resourceSpans', 'resource_spans');
}

/**
 * Reads an OTLP/JSON ExportTraceServiceRequest into span views. Malformed containers (a resourceSpans entry
 * that is not an object, scopeSpans that is not an array, ...) become rejects with their path; the rest of
 * the export is still read.
 */
export function readOtlpExport(resourceSpans: unknown[]): ReadResult {
  const out: ReadResult = { spans: [], rejects: [] };
  const reject = (reason: string, path: string) => out.rejects.push({ reason, path });
  for (const [i, rs] of resourceSpans.entries()) {
    const rsPath = `resourceSpans[${i}]`;
    if (!isObject(rs)) {
      reject(`${rsPath}: expected an object, got ${describeValue(rs)}`, rsPath);
      continue;
    }
    const resourceObj = rs['resource'];
    const resource = isObject(resourceObj) ? keyValueListToMap(resourceObj['attributes'], `${rsPath}.resource.attributes`) : new Map();
    if (typeof resource === 'string') {
      reject(resource, rsPath);
      continue;
    }
    const scopeSpans = prop(rs, 'scopeSpans', 'scope_spans');
    if (scopeSpans === undefined || scopeSpans === null) continue;
    if (!Array.isArray(scopeSpans)) {
      reject(`${rsPath}.scopeSpans: expected an array, got ${describeValue(scopeSpans)}`, rsPath);
      continue;
    }
    for (const [j, ss] of scopeSpans.entries()) {
      const ssPath = `${rsPath}.scopeSpans[${j}]`;
      if (!isObject(ss)) {
        reject(`${ssPath}: expected an object, got ${describeValue(ss)}`, ssPath);
        continue;
      }
      const spans = ss['spans'];
      if (spans === undefined || spans === null) continue;
      if (!Array.isArray(spans)) {
        reject(`${ssPath}.spans: expected an array, got ${describeValue(spans)}`, ssPath);
        continue;
      }
      const scope = readScope(ss['scope']);
      for (const [k, span] of spans.entries()) {
        const path = `${ssPath}.spans[${k}]`;
        if (isObject(span)) out.spans.push(readSpan(span, path, resource, scope));
        else reject(`${path}: expected a span object, got ${describeValue(span)}`, path);
      }
    }
  }
  return out;
}

function readScope(scope: unknown): SpanView['scope'] {
  if (!isObject(scope)) return {};
  const out: SpanView['scope'] = {};
  if (typeof scope['name'] === 'string' && scope['name'] !== '') out.name = scope['name'];
  if (typeof scope['version'] === 'string' && scope['version'] !== '') out.version = scope['version'];
  return out;
}

function readSpan(span: Record<string, unknown>, path: string, resource: AttrMap, scope: SpanView['scope']): SpanView {
  const parent = prop(span, 'parentSpanId', 'parent_span_id');
  const parentId = parent === undefined || parent === null || parent === '' ? undefined : parseOtlpId(parent, 'span', 'parentSpanId');
  return {
    path,
    name: typeof span['name'] === 'string' ? span['name'] : undefined,
    traceId: parseOtlpId(prop(span, 'traceId', 'trace_id'), 'trace', 'traceId'),
    spanId: parseOtlpId(prop(span, 'spanId', 'span_id'), 'span', 'spanId'),
    parentSpanId: parentId?.ok ? parentId.value : undefined,
    kind: parseKind(span['kind']),
    start: parseUnixNano(prop(span, 'startTimeUnixNano', 'start_time_unix_nano'), 'startTimeUnixNano'),
    end: parseUnixNano(prop(span, 'endTimeUnixNano', 'end_time_unix_nano'), 'endTimeUnixNano'),
    status: parseStatus(span['status'], 'status'),
    attributes: fieldFrom(keyValueListToMap(span['attributes'], 'attributes')),
    resource,
    scope,
    idsLossy: false,
  };
}
