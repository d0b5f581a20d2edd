import { Action } from '@agentwatch/schemas';
import { z } from 'zod';

/** A regular expression given as text; checked when the adapter is created, not on the first record. */
const RegexText = z.string().refine(
  (s) => {
    try {
      new RegExp(s);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected a valid regular expression' },
);

/** A precedence list of dotted paths into the decision record (`input.subject.id`, `input.attributes.request.http.headers["x-agent-id"]`). */
const Paths = z.array(z.string().min(1));

/**
 * Where the acting agent's id can be. Generic policy inputs first, then the Envoy ext_authz CheckRequest
 * (mTLS peer principal, then an `x-agent-id` header). The source socket address is deliberately not
 * here: an address is not an identity; add `input.attributes.source.address.socketAddress.address`
 * yourself if addresses are how you name agents.
 */
export const DEFAULT_AGENT_PATHS = [
  'input.agent_id',
  'input.agent.id',
  'input.subject.id',
  'input.subject',
  'input.principal.id',
  'input.principal',
  'input.attributes.source.principal',
  'input.attributes.request.http.headers["x-agent-id"]',
];

/** Verbs that are not already canonical actions (read, write, delete, ...), upper-cased: HTTP methods first. */
export const DEFAULT_ACTION_MAP: Record<string, Action> = {
  GET: 'read',
  HEAD: 'read',
  POST: 'write',
  PUT: 'write',
  PATCH: 'write',
  DELETE: 'delete',
  LIST: 'read',
  VIEW: 'read',
  CREATE: 'write',
  UPDATE: 'write',
  REMOVE: 'delete',
};

/** Configuration of the OPA decision-log adapter. Every field has a default. */
export const OpaOptions = z.strictObject({
  /** `source` of every event. */
  source: z.string().min(1).default('opa'),
  agentPaths: Paths.default(DEFAULT_AGENT_PATHS),
  /** Agent id used when no agent path matches; empty = reject such decisions. */
  defaultAgent: z.string().max(256).default(''),
  /** Put in front of agent ids read from the record (not of `defaultAgent`), e.g. `spiffe://corp.example/`. */
  agentIdPrefix: z.string().default(''),
  toolPaths: Paths.default(['input.tool', 'input.tool.name', 'input.tool_name']),
  resourcePaths: Paths.default(['input.resource', 'input.resource.id', 'input.resource.uri', 'input.attributes.request.http.path', 'input.path']),
  actionPaths: Paths.default(['input.action', 'input.operation', 'input.method', 'input.attributes.request.http.method']),
  tokenPaths: Paths.default(['input.token_id', 'input.token.jti', 'input.jti']),
  sessionPaths: Paths.default(['input.session_id', 'input.session.id', 'input.attributes.request.http.headers["x-session-id"]']),
  sourceIpPaths: Paths.default(['input.source_ip', 'input.attributes.source.address.socketAddress.address']),
  environmentPaths: Paths.default(['input.environment', 'labels.environment', 'labels.env']),
  onBehalfOfPaths: Paths.default(['input.on_behalf_of']),
  taskPaths: Paths.default(['input.task_id', 'input.task.id']),
  /**
   * The delegation chain (an array of agent ids, or one string of them separated by commas or spaces, outermost
   * first, ending with the acting agent). A value of another type or a chain not ending with the agent is not
   * mapped: it is kept as `opa.delegation_chain` and named in `agentwatch.fields_ignored`.
   */
  delegationChainPaths: Paths.default(['input.delegation_chain']),
  /** Source verbs (matched upper-cased) to canonical actions; a verb that is neither canonical nor here stays in attributes. */
  actionMap: z.record(z.string(), Action).default(DEFAULT_ACTION_MAP),
  /** Where the decision is inside an object result: Envoy plugin `allowed`, then common rule names. */
  decisionPaths: Paths.default(['allowed', 'allow', 'result.allowed', 'result.allow', 'decision']),
  /** String results (or decision fields) meaning allow / deny, compared case-insensitively. */
  allowValues: z.array(z.string()).default(['true', 'allow', 'allowed', 'permit', 'yes']),
  denyValues: z.array(z.string()).default(['false', 'deny', 'denied', 'forbid', 'no']),
  /**
   * Policy paths whose rule is a *deny* rule (`true`, or a non-empty set of messages, means deny).
   * Matched against `path` without a leading slash.
   */
  denyRulePattern: RegexText.default('(^|/)(deny|violation|violations)$'),
  /** A decision with no result (undefined rule, evaluation error): reject it, or count it as a deny (fail closed). */
  undefinedResult: z.enum(['reject', 'deny']).default('reject'),
  /** Policy paths to skip on purpose (e.g. `^system/health`); empty = skip none. */
  skipPolicyPattern: RegexText.default(''),
});

export type OpaOptions = z.infer<typeof OpaOptions>;
export type OpaOptionsInput = z.input<typeof OpaOptions>;
