import { z } from 'zod';

/**
 * Where to read a value: `span:<key>` (the span's own attributes), `agent_span:<key>` (the `invoke_agent`
 * span the tool call ran under, see README) or `resource:<key>` (the resource that emitted the span).
 * Keys are attribute names verbatim, dots included.
 */
const AttributeSelector = z
  .string()
  .regex(/^(span|agent_span|resource):.+$/, 'expected "span:<attribute>", "agent_span:<attribute>" or "resource:<attribute>"');

const SelectorList = z.array(AttributeSelector);

/** Configuration of the OTLP traces adapter. Every field has a default; lists are precedence lists (first hit wins). */
export const OtlpOptions = z.strictObject({
  /** Where the acting agent's identity comes from, most specific first. */
  agentIdFrom: SelectorList.min(1).default([
    'span:gen_ai.agent.id',
    'span:gen_ai.agent.name',
    'agent_span:gen_ai.agent.id',
    'agent_span:gen_ai.agent.name',
    'resource:gen_ai.agent.id',
    'resource:gen_ai.agent.name',
    'resource:service.name',
  ]),
  /** Identity values that are not an identity (SDK placeholders); exact, or a prefix when ending in `*`. */
  ignoredAgentIds: z.array(z.string().min(1)).default(['unknown_service*']),
  /** Turns the found identity into `agent_id`, e.g. `spiffe://corp.example/agents/{value}`. */
  agentIdTemplate: z.string().includes('{value}', { message: 'must contain {value}' }).default('{value}'),
  /**
   * When the tool span's parent chain leaves the export before reaching an `invoke_agent` span (some SDKs
   * do not export intermediate spans), use the only `invoke_agent` span of the same trace whose time range
   * encloses the tool span. With two or more candidates nothing is guessed.
   */
  enclosingAgentSpanFallback: z.boolean().default(true),
  sessionIdFrom: SelectorList.default(['span:gen_ai.conversation.id', 'agent_span:gen_ai.conversation.id']),
  environmentFrom: SelectorList.default(['span:deployment.environment.name', 'resource:deployment.environment.name', 'resource:deployment.environment']),
  onBehalfOfFrom: SelectorList.default(['span:enduser.id', 'agent_span:enduser.id', 'span:user.id', 'agent_span:user.id']),
  /** The target of the call; GenAI semconv has no general attribute for it, MCP and HTTP ones do. */
  resourceFrom: SelectorList.default(['span:mcp.resource.uri', 'span:url.full']),
  /** Values outside events.md's action list are ignored (the attribute stays in `attributes`). No semconv default. */
  actionFrom: SelectorList.default([]),
  /** The credential (jti / accessor) the call used. No semconv default. */
  tokenIdFrom: SelectorList.default([]),
  /**
   * Canonical tool_call fields GenAI semconv does not define, each a precedence list of selectors (first usable
   * value wins). A value of the wrong type is not mapped: it stays in `attributes` and the field is named in
   * `agentwatch.fields_ignored`. `[]` turns a field off.
   */
  fields: z
    .strictObject({
      /** A non-empty string or a number. */
      task_id: SelectorList.default(['span:agentwatch.task_id', 'agent_span:agentwatch.task_id']),
      /** An IPv4 or IPv6 address (the agent's own address, not a peer's). */
      source_ip: SelectorList.default(['span:agentwatch.source_ip']),
      /** Non-negative integers. */
      bytes_in: SelectorList.default(['span:agentwatch.bytes_in']),
      bytes_out: SelectorList.default(['span:agentwatch.bytes_out']),
      records: SelectorList.default(['span:agentwatch.records']),
      /** `trusted` or `untrusted`. */
      context_trust: SelectorList.default(['span:agentwatch.context_trust']),
      /** `approval.by` (a non-empty string); `approval.at` (an RFC 3339 time) is used only with it. */
      approval_by: SelectorList.default(['span:agentwatch.approval.by']),
      approval_at: SelectorList.default(['span:agentwatch.approval.at']),
      /** An array of non-empty strings, outermost delegator first, ending with the acting agent's `agent_id`. */
      delegation_chain: SelectorList.default(['span:agentwatch.delegation_chain', 'agent_span:agentwatch.delegation_chain']),
    })
    .prefault({}),
  /** `error.type` values that mean "refused" rather than "failed" (compared ignoring case and punctuation). */
  deniedErrorTypes: z.array(z.string().min(1)).default(['permission_denied', 'access_denied', 'forbidden', 'unauthorized', 'unauthenticated', '401', '403']),
  /** Span attributes never copied into `attributes`: prompt and tool content (privacy, size). */
  excludeAttributes: z
    .array(z.string())
    .default([
      'gen_ai.tool.call.arguments',
      'gen_ai.tool.call.result',
      'gen_ai.input.messages',
      'gen_ai.output.messages',
      'gen_ai.system_instructions',
      'gen_ai.tool.definitions',
      'gen_ai.tool.args',
      'gen_ai.output',
    ]),
  /** Resource attributes copied into `attributes` (as `resource.<key>`). */
  resourceAttributes: z
    .array(z.string())
    .default([
      'service.name',
      'service.namespace',
      'service.version',
      'service.instance.id',
      'host.name',
      'k8s.namespace.name',
      'k8s.pod.name',
      'cloud.provider',
      'cloud.account.id',
      'cloud.region',
    ]),
  /** Upper bound on `attributes` entries per event. */
  maxAttributes: z.number().int().min(16).max(1000).default(64),
  /** Upper bound on one attribute value's length; longer values are cut with a marker. */
  maxAttributeChars: z.number().int().min(32).max(65_536).default(1024),
});

export type OtlpOptions = z.infer<typeof OtlpOptions>;
export type OtlpOptionsInput = z.input<typeof OtlpOptions>;
