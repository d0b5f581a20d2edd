import { isObject } from '../common.ts';
import { parseDecimalId, parseKind, parseStatus, parseUnixNano } from './span-fields.ts';
import { fieldFrom, type ReadResult, type SpanView } from './span-view.ts';
import { type AttrMap, describeValue, plainAttributesToMap } from './values.ts';

/**
 * A shim for mozilla-ai/any-agent's `AgentTrace` JSON (`{"spans": [...]}`), the shape of the only real GenAI
 * agent traces published (see samples/README.md): OTel Python spans serialised with flat attributes,
 * decimal integer ids, ns integer times and `status.status_code` names.
 */
export function isAnyAgentTrace(record: Record<string, unknown>): boolean {
  const spans = record['spans'];
  if (!Array.isArray(spans) || spans.length === 0) return false;
  const first = spans[0];
  return isObject(first) && isObject(first['context']) && 'trace_id' in first['context'] && 'span_id' in first['context'];
}

export function readAnyAgentTrace(spans: unknown[]): ReadResult {
  const out: ReadResult = { spans: [], rejects: [] };
  for (const [i, span] of spans.entries()) {
    const path = `spans[${i}]`;
    if (!isObject(span)) {
      out.rejects.push({ reason: `${path}: expected a span object, got ${describeValue(span)}`, path });
      continue;
    }
    const resource = isObject(span['resource']) ? plainAttributesToMap(span['resource']['attributes'], 'resource.attributes') : new Map();
    if (typeof resource === 'string') out.rejects.push({ reason: resource, path });
    else out.spans.push(readSpan(span, path, resource));
  }
  return out;
}

function readSpan(span: Record<string, unknown>, path: string, resource: AttrMap): SpanView {
  const context = isObject(span['context']) ? span['context'] : {};
  const traceId = parseDecimalId(context['trace_id'], 'trace', 'context.trace_id');
  const spanId = parseDecimalId(context['span_id'], 'span', 'context.span_id');
  const parentRaw = isObject(span['parent']) ? span['parent']['span_id'] : undefined;
  const parent = parentRaw === undefined || parentRaw === null ? undefined : parseDecimalId(parentRaw, 'span', 'parent.span_id');
  const parentSpanId = parent?.ok ? parent.value : undefined;
  const scope = isObject(span['instrumentation_scope']) ? span['instrumentation_scope'] : {};
  return {
    path,
    name: typeof span['name'] === 'string' ? span['name'] : undefined,
    traceId: traceId.ok ? { ok: true, value: traceId.value.hex } : traceId,
    spanId: spanId.ok ? { ok: true, value: spanId.value.hex } : spanId,
    parentSpanId: parentSpanId?.hex,
    kind: parseKind(span['kind']),
    start: parseUnixNano(span['start_time'], 'start_time'),
    end: parseUnixNano(span['end_time'], 'end_time'),
    status: parseStatus(span['status'], 'status'),
    attributes: fieldFrom(plainAttributesToMap(span['attributes'], 'attributes')),
    resource,
    scope: typeof scope['name'] === 'string' && scope['name'] !== '' ? { name: scope['name'] } : {},
    idsLossy: (traceId.ok && traceId.value.lossy) || (spanId.ok && spanId.value.lossy),
  };
}
