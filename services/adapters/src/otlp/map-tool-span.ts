import { ACTIONS } from '@agentwatch/schemas';
import { finishEvent, rejected, skipped, stableEventId } from '../common.ts';
import type { AdapterResult } from '../types.ts';
import type { AgentSpanIndex, AgentSpanMatch } from './agent-span.ts';
import { BoundedAttributes } from './event-attributes.ts';
import type { OtlpOptions } from './options.ts';
import { type AttributeScopes, ignoredValueMatcher, MAX_FIELD_CHARS, parseSelector, type Resolved, resolveFirst, type Selector } from './selectors.ts';
import { type SpanStatus, unixNanoToRfc3339 } from './span-fields.ts';
import type { SpanView } from './span-view.ts';
import { type AttrMap, describeValue, scalarString } from './values.ts';

const OPERATION = 'gen_ai.operation.name';
const TOOL_OPERATION = 'execute_tool';
const TOOL_NAME = 'gen_ai.tool.name';
const ERROR_TYPE = 'error.type';
/** Recommended execute_tool attributes, kept ahead of the rest so the budget never drops them. */
const PRIORITY_SPAN_KEYS = ['gen_ai.tool.call.id', 'gen_ai.tool.type', 'gen_ai.tool.description', ERROR_TYPE];
const ACTION_SET = new Set<string>(ACTIONS);

/** Options turned into lookups once per adapter. */
export interface CompiledOptions {
  options: OtlpOptions;
  agentIdFrom: Selector[];
  sessionIdFrom: Selector[];
  environmentFrom: Selector[];
  onBehalfOfFrom: Selector[];
  resourceFrom: Selector[];
  actionFrom: Selector[];
  tokenIdFrom: Selector[];
  isIgnoredAgentId: (value: string) => boolean;
  deniedErrorTypes: Set<string>;
  excludeAttributes: Set<string>;
}

export function compileOptions(options: OtlpOptions): CompiledOptions {
  return {
    options,
    agentIdFrom: options.agentIdFrom.map(parseSelector),
    sessionIdFrom: options.sessionIdFrom.map(parseSelector),
    environmentFrom: options.environmentFrom.map(parseSelector),
    onBehalfOfFrom: options.onBehalfOfFrom.map(parseSelector),
    resourceFrom: options.resourceFrom.map(parseSelector),
    actionFrom: options.actionFrom.map(parseSelector),
    tokenIdFrom: options.tokenIdFrom.map(parseSelector),
    isIgnoredAgentId: ignoredValueMatcher(options.ignoredAgentIds),
    deniedErrorTypes: new Set(options.deniedErrorTypes.map(normaliseErrorType)),
    excludeAttributes: new Set(options.excludeAttributes),
  };
}

/** One span -> a `tool_call` event (execute_tool spans), a skip (every other span) or a reject naming the field. */
export function mapToolSpan(span: SpanView, index: AgentSpanIndex, c: CompiledOptions): AdapterResult {
  if (!span.attributes.ok) return rejected(span.attributes.reason, span.path);
  const attrs = span.attributes.value;
  const operation = attrs.get(OPERATION);
  if (operation !== TOOL_OPERATION) return skipped(skipReason(span, operation));

  const tool = scalarString(attrs.get(TOOL_NAME));
  if (tool === undefined || tool.length > MAX_FIELD_CHARS) {
    const got = tool === undefined ? describeValue(attrs.get(TOOL_NAME)) : `${tool.length} chars`;
    return rejected(
      `${TOOL_NAME}: expected the tool name (a non-empty string of at most ${MAX_FIELD_CHARS} chars) on an execute_tool span, got ${got}`,
      span.path,
    );
  }
  if (!span.traceId.ok) return rejected(span.traceId.reason, span.path);
  if (!span.spanId.ok) return rejected(span.spanId.reason, span.path);
  if (!span.start.ok) return rejected(span.start.reason, span.path);
  if (!span.status.ok) return rejected(span.status.reason, span.path);
  const time = unixNanoToRfc3339(span.start.value);
  if (time === undefined) return rejected(`start time: ${span.start.value} ns since the epoch is not a usable time`, span.path);

  const agentSpan = index.find(span, c.options.enclosingAgentSpanFallback);
  const scopes: AttributeScopes = { span: attrs, resource: span.resource };
  if (agentSpan?.span.attributes.ok) scopes.agent_span = agentSpan.span.attributes.value;
  const identity = resolveFirst(c.agentIdFrom, scopes, (v) => !c.isIgnoredAgentId(v));
  if (identity === undefined) return rejected(noIdentityReason(c, scopes), span.path);

  const used: Resolved[] = [identity];
  const pick = (selectors: Selector[], accept?: (v: string) => boolean): string | undefined => {
    const r = resolveFirst(selectors, scopes, accept);
    if (r) used.push(r);
    return r?.value;
  };
  const mapped = {
    environment: pick(c.environmentFrom),
    session_id: pick(c.sessionIdFrom),
    on_behalf_of: pick(c.onBehalfOfFrom),
    action: pick(c.actionFrom, (v) => ACTION_SET.has(v)),
    resource: pick(c.resourceFrom),
    token_id: pick(c.tokenIdFrom),
  };
  const start = span.start.value;
  const end = span.end.ok ? span.end.value : undefined;
  const candidate = {
    kind: 'tool_call',
    event_id: stableEventId('otel', span.traceId.value, span.spanId.value),
    time,
    agent_id: c.options.agentIdTemplate.split('{value}').join(identity.value),
    source: 'otel',
    tool,
    outcome: outcomeOf(span.status.value, scalarString(attrs.get(ERROR_TYPE)), c.deniedErrorTypes),
    ...mapped,
    // Whole microseconds: finer digits are float noise for the JSON-number times any-agent writes.
    duration_ms: end !== undefined && end >= start ? Math.round(Number(end - start) / 1e3) / 1e3 : undefined,
    attributes: eventAttributes(span, c, identity, agentSpan, new Set(used.map((r) => r.selector.text))),
  };
  return finishEvent(candidate, span.path);
}

function skipReason(span: SpanView, operation: unknown): string {
  const name = describeValue(span.name ?? '');
  return operation === undefined
    ? `span ${name}: no ${OPERATION}, so not a GenAI tool call`
    : `span ${name}: ${OPERATION} is ${describeValue(operation)}, not ${TOOL_OPERATION}`;
}

function noIdentityReason(c: CompiledOptions, scopes: AttributeScopes): string {
  const present = c.agentIdFrom.flatMap((s) => {
    const v = scalarString(scopes[s.source]?.get(s.key));
    return v === undefined ? [] : [{ s, v }];
  });
  const placeholders = present.filter((x) => c.isIgnoredAgentId(x.v)).map((x) => `${x.s.text}=${describeValue(x.v)}`);
  const tooLong = present.filter((x) => !c.isIgnoredAgentId(x.v) && x.v.length > MAX_FIELD_CHARS).map((x) => `${x.s.text} (${x.v.length} chars)`);
  const looksAtAgentSpan = c.agentIdFrom.some((s) => s.source === 'agent_span');
  return (
    `no agent identity: none of ${c.agentIdFrom.map((s) => s.text).join(', ')} is set` +
    (looksAtAgentSpan && !scopes.agent_span ? ' (no invoke_agent span found for agent_span:*)' : '') +
    (placeholders.length > 0 ? `; ignored as placeholders: ${placeholders.join(', ')}` : '') +
    (tooLong.length > 0 ? `; too long to be an id: ${tooLong.join(', ')}` : '')
  );
}

/**
 * Failure is status ERROR, or `error.type` on a span whose status is unset (semconv sets `error.type` when
 * the operation failed); an explicit OK wins. A failure whose `error.type` is a refusal is `denied`.
 */
function outcomeOf(status: SpanStatus, errorType: string | undefined, denied: Set<string>): 'success' | 'failure' | 'denied' {
  const failed = status.code === 'error' || (status.code === 'unset' && errorType !== undefined);
  if (!failed) return 'success';
  if (errorType === undefined) return 'failure';
  const lastSegment = errorType.slice(errorType.lastIndexOf('.') + 1);
  return denied.has(normaliseErrorType(errorType)) || denied.has(normaliseErrorType(lastSegment)) ? 'denied' : 'failure';
}

/** `PermissionDenied`, `permission_denied` and `permission-denied` compare equal. */
function normaliseErrorType(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]/g, '');
}

const STATUS_NAMES = { ok: 'OK', error: 'ERROR' } as const;

/**
 * Trace context first, then the recommended tool attributes, the rest of the span (minus what became a
 * canonical field and the excluded content keys), then the allow-listed resource keys as `resource.<key>`.
 */
function eventAttributes(
  span: SpanView,
  c: CompiledOptions,
  identity: Resolved,
  agentSpan: AgentSpanMatch | undefined,
  usedSelectors: Set<string>,
): Record<string, string> | undefined {
  const out = new BoundedAttributes(c.options.maxAttributes, c.options.maxAttributeChars);
  const attrs = span.attributes.ok ? span.attributes.value : new Map();
  if (span.traceId.ok) out.add('otel.trace_id', span.traceId.value);
  if (span.spanId.ok) out.add('otel.span_id', span.spanId.value);
  out.add('otel.parent_span_id', span.parentSpanId);
  out.add('otel.span.name', span.name || undefined);
  out.add('otel.span.kind', span.kind);
  if (span.status.ok && span.status.value.code !== 'unset') out.add('otel.status_code', STATUS_NAMES[span.status.value.code]);
  if (span.status.ok) out.add('otel.status_description', span.status.value.message);
  out.add('otel.scope.name', span.scope.name);
  out.add('otel.scope.version', span.scope.version);
  out.add('agentwatch.agent_id_from', identity.selector.text);
  if (agentSpan?.span.spanId.ok) {
    out.add('agentwatch.agent_span_id', agentSpan.span.spanId.value);
    out.add('agentwatch.agent_span_match', agentSpan.how);
  }
  if (span.idsLossy) out.add('agentwatch.ids_lossy', 'true');
  const keep = (key: string) => key !== OPERATION && key !== TOOL_NAME && !c.excludeAttributes.has(key) && !usedSelectors.has(`span:${key}`);
  for (const key of PRIORITY_SPAN_KEYS) if (keep(key)) out.add(key, attrs.get(key));
  for (const [key, value] of attrs as AttrMap) if (keep(key)) out.add(key, value);
  for (const key of c.options.resourceAttributes) out.add(`resource.${key}`, span.resource.get(key));
  return out.toObject();
}
