import type { Action } from '@agentwatch/schemas';
import { delegationChainValue, FIELDS_IGNORED, fieldAt, takeField } from '../canonical-fields.ts';
import { finishEvent, getPath, isObject, rejected, skipped, stableEventId } from '../common.ts';
import { clip, describe, firstStringAt, parseSourceIp, parseZonedTime, preview, someKeys } from '../json-values.ts';
import type { AdapterResult } from '../types.ts';
import { toAction } from './action.ts';
import { compileDecisionRule, type DecisionRule, readDecision } from './decision.ts';
import type { OpaOptions } from './options.ts';

/** Longest values kept in canonical fields; longer ones go to attributes, clipped. */
const MAX_ID = 256;
const MAX_RESOURCE = 1024;
const MAX_ATTR = 512;
const MAX_MAP_KEYS = 16;

/** Options compiled once per adapter (regexes, upper-cased action map). */
export interface CompiledOpaOptions extends OpaOptions {
  rule: DecisionRule;
  skipPolicy: RegExp | undefined;
  actions: Record<string, Action>;
}

export function compileOpaOptions(o: OpaOptions): CompiledOpaOptions {
  const actions: Record<string, Action> = {};
  for (const [k, v] of Object.entries(o.actionMap)) actions[k.toUpperCase()] = v;
  return { ...o, rule: compileDecisionRule(o), skipPolicy: o.skipPolicyPattern ? new RegExp(o.skipPolicyPattern) : undefined, actions };
}

/** One decision-log record (upload-API array element or console-logger line) -> one `policy_decision`. */
export function mapDecision(record: unknown, o: CompiledOpaOptions): AdapterResult {
  if (!isObject(record)) return rejected(`record: expected a decision-log object, got ${describe(record)}`);

  const decisionId = record['decision_id'];
  if (decisionId === undefined && typeof record['msg'] === 'string') {
    return skipped(`OPA console log line that is not a decision (msg: ${clip(record['msg'], 80)})`);
  }
  if (typeof decisionId !== 'string' || decisionId.length === 0) return rejected(`decision_id: expected a non-empty string, got ${describe(decisionId)}`);

  const rawPath = record['path'];
  if (rawPath !== undefined && typeof rawPath !== 'string') return rejected(`path: expected a string, got ${describe(rawPath)}`);
  const policy = rawPath ? rawPath.replace(/^\/+/, '') : undefined;
  if (!policy) {
    if (typeof record['query'] === 'string') return skipped('ad-hoc query (no policy path): not a policy decision');
    return rejected('path: missing (no policy path and no query)');
  }
  if (o.skipPolicy?.test(policy)) return skipped(`policy ${clip(policy, 120)} matches skipPolicyPattern`);

  const time = parseZonedTime(record['timestamp'] ?? record['time']);
  if (!time.ok) return rejected(`timestamp: ${time.problem}`);

  const decision = readDecision(record, policy, o.rule);
  if (!decision.ok) return rejected(decision.problem);

  const agent = agentOf(record, o);
  if (!agent.ok) return rejected(agent.problem);

  const attributes: Record<string, string> = {};
  const put = (k: string, v: string): void => {
    attributes[k] = clip(v, MAX_ATTR);
  };
  if (agent.path) put('opa.agent_path', agent.path);
  if (decision.from !== 'result') put('opa.decision_from', decision.from);

  const tool = bounded(firstStringAt(record, o.toolPaths), MAX_ID, 'opa.tool', put);
  const resource = bounded(firstStringAt(record, o.resourcePaths), MAX_RESOURCE, 'opa.resource', put);
  const session = bounded(firstStringAt(record, o.sessionPaths), MAX_ID, 'opa.session_id', put);
  const token = bounded(firstStringAt(record, o.tokenPaths), MAX_ID, 'opa.token_id', put);
  const environment = bounded(firstStringAt(record, o.environmentPaths), MAX_ID, 'opa.environment', put);
  const onBehalfOf = bounded(firstStringAt(record, o.onBehalfOfPaths), MAX_ID, 'opa.on_behalf_of', put);

  const verb = firstStringAt(record, o.actionPaths);
  const action = verb ? toAction(verb.value, o.actions) : undefined;
  if (verb && (action === undefined || verb.value.toLowerCase() !== action)) put('opa.action', verb.value);

  const address = firstStringAt(record, o.sourceIpPaths);
  const sourceIp = address ? parseSourceIp(address.value) : undefined;
  if (address && sourceIp !== address.value) put('opa.source_address', address.value);

  const task = bounded(firstStringAt(record, o.taskPaths), MAX_ID, 'opa.task_id', put);
  const ignored: string[] = [];
  const chain = takeField(
    fieldAt(record, o.delegationChainPaths, delegationChainValue, agent.id),
    'delegation_chain',
    'opa.delegation_chain',
    attributes,
    ignored,
  );
  if (ignored.length > 0) put(FIELDS_IGNORED, ignored.join(','));

  addRecordAttributes(record, decision.from, put);

  return finishEvent({
    kind: 'policy_decision',
    event_id: stableEventId('opa', decisionId),
    time: time.time,
    agent_id: agent.id,
    source: o.source,
    environment,
    session_id: session,
    task_id: task,
    delegation_chain: chain,
    on_behalf_of: onBehalfOf,
    source_ip: sourceIp,
    decision: decision.decision,
    policy,
    tool,
    resource,
    action,
    token_id: token,
    attributes,
  });
}

type AgentReading = { ok: true; id: string; path?: string } | { ok: false; problem: string };

/** The acting agent: the first configured input path, else the configured default, else a reject naming where we looked. */
function agentOf(record: Record<string, unknown>, o: OpaOptions): AgentReading {
  const found = firstStringAt(record, o.agentPaths);
  if (found) {
    const id = o.agentIdPrefix + found.value;
    if (id.length > MAX_ID) return { ok: false, problem: `${found.path}: agent id longer than ${MAX_ID} characters` };
    return { ok: true, id, path: found.path };
  }
  if (o.defaultAgent) return { ok: true, id: o.defaultAgent, path: '(defaultAgent)' };
  const looked = o.agentPaths.length > 0 ? o.agentPaths.join(', ') : '(no agentPaths configured)';
  return { ok: false, problem: `agent: no agent id at ${looked}; configure agentPaths or defaultAgent` };
}

/** A value for an optional canonical field, or undefined with the clipped value kept in attributes when too long. */
function bounded(found: { value: string } | undefined, max: number, attribute: string, put: (k: string, v: string) => void): string | undefined {
  if (!found) return undefined;
  if (found.value.length <= max) return found.value;
  put(attribute, found.value);
  return undefined;
}

/** Everything about the decision worth keeping that has no canonical field: bundle revisions, labels, tracing ids, masking, metrics. */
function addRecordAttributes(record: Record<string, unknown>, decisionFrom: string, put: (k: string, v: string) => void): void {
  const bundles = record['bundles'];
  if (isObject(bundles)) {
    for (const name of someKeys(bundles, MAX_MAP_KEYS).keys) {
      const revision = getPath(bundles[name], 'revision');
      if (typeof revision === 'string') put(`opa.bundles.${clip(name, 64)}.revision`, revision);
    }
  }
  for (const [from, to] of [
    ['revision', 'opa.revision'],
    ['requested_by', 'opa.requested_by'],
    ['trace_id', 'opa.trace_id'],
    ['span_id', 'opa.span_id'],
    ['query', 'opa.query'],
  ] as const) {
    const v = record[from];
    if (typeof v === 'string' && v.length > 0) put(to, v);
  }
  if (typeof record['req_id'] === 'number' && Number.isFinite(record['req_id'])) put('opa.req_id', String(record['req_id']));
  for (const [from, to] of [
    ['labels', 'opa.labels'],
    ['metrics', 'opa.metrics'],
  ] as const) {
    const map = record[from];
    if (!isObject(map)) continue;
    for (const k of someKeys(map, MAX_MAP_KEYS).keys) {
      const v = map[k];
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') put(`${to}.${clip(k, 64)}`, String(v));
    }
  }
  for (const key of ['erased', 'masked', 'error'] as const) {
    if (record[key] !== undefined && record[key] !== null) put(`opa.${key}`, preview(record[key]));
  }
  if (decisionFrom !== 'result' && record['result'] !== undefined) put('opa.result', preview(record['result']));
  const http = getPath(record, 'input.attributes.request.http');
  if (isObject(http)) {
    for (const [from, to] of [
      ['method', 'opa.http.method'],
      ['host', 'opa.http.host'],
      ['protocol', 'opa.http.protocol'],
    ] as const) {
      const v = http[from];
      if (typeof v === 'string') put(to, v);
    }
    const requestId = getPath(http, 'headers["x-request-id"]');
    if (typeof requestId === 'string') put('opa.http.request_id', requestId);
  }
  const destination = getPath(record, 'input.attributes.destination.address.socketAddress');
  if (isObject(destination) && typeof destination['address'] === 'string') {
    const port = destination['portValue'];
    put('opa.destination', typeof port === 'number' ? `${destination['address']}:${port}` : destination['address']);
  }
}
