import { ACTIONS } from '@agentwatch/schemas';
import { contextTrustValue, countValue, delegationChainValue, idValue, sourceIpValue, timeValue } from '../canonical-fields.ts';
import { finishEvent, rejected, skipped, stableEventId } from '../common.ts';
import type { AdapterResult } from '../types.ts';
import type { AgentSpanIndex, AgentSpanMatch } from './agent-span.ts';
import { BoundedAttributes } from './event-attributes.ts';
import type { OtlpOptions } from './options.ts';
import { type AttributeScopes, ignoredValueMatcher, MAX_FIELD_CHARS, parseSelector, type Resolved, resolveFirst, type Selector } from './selectors.ts';
import { type SpanStatus, unixNanoToRfc3339 } from './span-fields.ts';
import type { SpanView } from './span-view.ts';
import { type AttrMap, type AttrValue, describeValue, scalarString } from './values.ts';

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
  acceptAgentId: (value: string) => boolean;
  deniedErrorTypes: Set<string>;
  excludeAttributes: Set<string>;
  fields: { [F in FieldName]: Selector[] };
}

type FieldName = keyof OtlpOptions['fields'];
const FIELD_NAMES = ['task_id', 'source_ip', 'bytes_in', 'bytes_out', 'records', 'context_trust', 'approval_by', 'approval_at', 'delegation_chain'] as const;

export function compileOptions(options: OtlpOptions): CompiledOptions {
  const isIgnoredAgentId = ignoredValueMatcher(options.ignoredAgentIds);
  return {
    options,
    agentIdFrom: options.agentIdFrom.map(parseSelector),
    sessionIdFrom: options.sessionIdFrom.map(parseSelector),
    environmentFrom: options.environmentFrom.map(parseSelector),
    onBehalfOfFrom: options.onBehalfOfFrom.map(parseSelector),
    resourceFrom: options.resourceFrom.map(parseSelector),
    actionFrom: options.actionFrom.map(parseSelector),
    tokenIdFrom: options.tokenIdFrom.map(parseSelector),
    isIgnoredAgentId,
    acceptAgentId: (v) => !isIgnoredAgentId(v),
    fields: Object.fromEntries(FIELD_NAMES.map((f) => [f, options.fields[f].map(parseSelector)])) as CompiledOptions['fields'],
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
  const identity = resolveFirst(c.agentIdFrom, scopes, c.acceptAgentId);
  if (identity === undefined) return rejected(noIdentityReason(c, scopes), span.path);

  // Selectors whose value became a canonical field: their span attributes are not repeated in `attributes`.
  const used: Resolved[] = [identity];
  const environment = pick(c.environmentFrom, scopes, used);
  const session_id = pick(c.sessionIdFrom, scopes, used);
  const on_behalf_of = pick(c.onBehalfOfFrom, scopes, used);
  const action = pick(c.actionFrom, scopes, used, isAction);
  const resource = pick(c.resourceFrom, scopes, used);
  const token_id = pick(c.tokenIdFrom, scopes, used);
  const agentId = c.options.agentIdTemplate.split('{value}').join(identity.value);
  const extra = readFields(c, scopes, used, agentId);
  const start = span.start.value;
  const end = span.end.ok ? span.end.value : undefined;
  const candidate = {
    kind: 'tool_call',
    event_id: stableEventId('otel', span.traceId.value, span.spanId.value),
    time,
    agent_id: agentId,
    source: 'otel',
    tool,
    outcome: outcomeOf(span.status.value, scalarString(attrs.get(ERROR_TYPE)), c.deniedErrorTypes),
    environment,
    session_id,
    on_behalf_of,
    action,
    resource,
    token_id,
    task_id: extra.task_id,
    source_ip: extra.source_ip,
    delegation_chain: extra.delegation_chain,
    bytes_in: extra.bytes_in,
    bytes_out: extra.bytes_out,
    records: extra.records,
    approval: extra.approval,
    context_trust: extra.context_trust,
    // Whole microseconds: finer digits are float noise for the JSON-number times any-agent writes.
    duration_ms: end !== undefined && end >= start ? Math.round(Number(end - start) / 1e3) / 1e3 : undefined,
    attributes: eventAttributes(span, c, identity, agentSpan, usedSpanKeys(used), extra.ignored),
  };
  return finishEvent(candidate, span.path);
}

const isAction = (v: string): boolean => ACTION_SET.has(v);

/** The first usable value of a precedence list, recording the selector it came from in `used`. */
function pick(selectors: Selector[], scopes: AttributeScopes, used: Resolved[], accept?: (v: string) => boolean): string | undefined {
  if (selectors.length === 0) return undefined;
  const r = resolveFirst(selectors, scopes, accept);
  if (r === undefined) return undefined;
  used.push(r);
  return r.value;
}

function usedSpanKeys(used: Resolved[]): Set<string> {
  const keys = new Set<string>();
  for (const r of used) if (r.selector.source === 'span') keys.add(r.selector.key);
  return keys;
}

interface ExtraFields {
  task_id?: string | undefined;
  source_ip?: string | undefined;
  delegation_chain?: string[] | undefined;
  bytes_in?: number | undefined;
  bytes_out?: number | undefined;
  records?: number | undefined;
  approval?: { by: string; at?: string } | undefined;
  context_trust?: 'trusted' | 'untrusted' | undefined;
  /** Fields that had a value somewhere in their selector list, none of them usable. */
  ignored?: string[] | undefined;
}

/** Sentinel of `fieldValue`: a selector had a value, of the wrong type or form. */
const WRONG = Symbol('wrong');

/**
 * The value of one `fields` entry: the first selector whose attribute passes `check`; WRONG when attributes
 * were there but none passed; undefined when none was there.
 */
function fieldValue<T>(
  selectors: Selector[],
  scopes: AttributeScopes,
  used: Resolved[],
  check: (v: AttrValue, agentId: string) => T | undefined,
  agentId: string,
): T | undefined | typeof WRONG {
  let wrong = false;
  for (let i = 0; i < selectors.length; i++) {
    const selector = selectors[i] as Selector;
    const raw = scopes[selector.source]?.get(selector.key);
    if (raw === undefined) continue;
    const value = check(raw, agentId);
    if (value === undefined) {
      wrong = true;
      continue;
    }
    used.push({ value: '', selector });
    return value;
  }
  return wrong ? WRONG : undefined;
}

/** The `fields` option: canonical fields semconv has no attribute for (see README). */
function readFields(c: CompiledOptions, scopes: AttributeScopes, used: Resolved[], agentId: string): ExtraFields {
  const out: ExtraFields = {};
  const f = c.fields;
  const ignored: string[] = [];
  const put = <K extends keyof ExtraFields>(key: K, value: ExtraFields[K] | typeof WRONG): void => {
    if (value === WRONG) ignored.push(key);
    else out[key] = value;
  };
  put('task_id', fieldValue(f.task_id, scopes, used, idValue, agentId));
  put('source_ip', fieldValue(f.source_ip, scopes, used, sourceIpValue, agentId));
  put('delegation_chain', fieldValue(f.delegation_chain, scopes, used, delegationChainValue, agentId));
  put('bytes_in', fieldValue(f.bytes_in, scopes, used, countValue, agentId));
  put('bytes_out', fieldValue(f.bytes_out, scopes, used, countValue, agentId));
  put('records', fieldValue(f.records, scopes, used, countValue, agentId));
  put('context_trust', fieldValue(f.context_trust, scopes, used, contextTrustValue, agentId));
  const by = fieldValue(f.approval_by, scopes, used, idValue, agentId);
  if (by === WRONG) ignored.push('approval_by');
  else if (by !== undefined) {
    const at = fieldValue(f.approval_at, scopes, used, timeValue, agentId);
    if (at === WRONG) ignored.push('approval_at');
    out.approval = at === WRONG || at === undefined ? { by } : { by, at };
  }
  if (ignored.length > 0) out.ignored = ignored;
  return out;
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
  usedKeys: Set<string>,
  fieldsIgnored: string[] | undefined,
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
  if (fieldsIgnored) out.add('agentwatch.fields_ignored', fieldsIgnored.join(','));
  for (const key of PRIORITY_SPAN_KEYS) if (keepSpanKey(key, c, usedKeys)) out.add(key, attrs.get(key));
  for (const [key, value] of attrs as AttrMap) if (keepSpanKey(key, c, usedKeys)) out.add(key, value);
  for (const key of c.options.resourceAttributes) out.add(`resource.${key}`, span.resource.get(key));
  return out.toObject();
}

/** A span attribute goes to `attributes` unless it is the operation or tool name, excluded content, or became a field. */
function keepSpanKey(key: string, c: CompiledOptions, usedKeys: Set<string>): boolean {
  return key !== OPERATION && key !== TOOL_NAME && !c.excludeAttributes.has(key) && !usedKeys.has(key);
}
