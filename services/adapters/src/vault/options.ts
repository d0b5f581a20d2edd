import { Action } from '@agentwatch/schemas';
import { z } from 'zod';

/**
 * A path rule: requests whose path matches `pattern` (`*` within one segment, `**` across segments) get
 * `action`, for the listed operations only (empty = any). First match wins; unmatched paths fall back to
 * the operation (read/list/help -> read, create/update/patch -> write, delete -> delete, else other).
 */
export const VaultPathAction = z.strictObject({
  pattern: z.string().min(1),
  action: Action,
  operations: z.array(z.string().min(1)).default([]),
});
export type VaultPathAction = z.infer<typeof VaultPathAction>;

const WRITES = ['create', 'update', 'patch', 'delete'];

/**
 * Vault's root-protected (sudo) paths, from the system backend's and token store's `PathsSpecial.Root`
 * lists, plus mount and policy changes: these reconfigure Vault itself, so they are `admin` whatever the
 * operation. Then calls that are `update` on the wire but only look things up (so they are not `write`),
 * and token/lease revocations (`delete`).
 */
export const DEFAULT_PATH_ACTIONS: VaultPathAction[] = [
  ...[
    'sys/auth/**',
    'sys/remount',
    'sys/audit',
    'sys/audit/**',
    'sys/raw',
    'sys/raw/**',
    'sys/replication/**',
    'sys/rotate',
    'sys/rotate/**',
    'sys/config/cors',
    'sys/config/auditing/**',
    'sys/config/ui/headers/**',
    'sys/plugins/catalog/**',
    'sys/plugins/runtimes/catalog/**',
    'sys/revoke-prefix/**',
    'sys/revoke-force/**',
    'sys/leases/revoke-prefix/**',
    'sys/leases/revoke-force/**',
    'sys/leases/lookup/**',
    'sys/leases',
    'sys/storage/raft/**',
    'sys/internal/inspect/**',
    'sys/seal',
    'sys/step-down',
    'sys/generate-root/**',
    'sys/rekey/**',
    'auth/token/revoke-orphan',
    'auth/token/revoke-orphan/**',
    'auth/token/create-orphan',
    'auth/token/accessors',
    'auth/token/accessors/**',
  ].map((pattern) => ({ pattern, action: 'admin' as const, operations: [] })),
  ...['sys/mounts/**', 'sys/policy/**', 'sys/policies/**', 'auth/token/roles/**'].map((pattern) => ({
    pattern,
    action: 'admin' as const,
    operations: WRITES,
  })),
  ...[
    'sys/capabilities',
    'sys/capabilities-self',
    'sys/capabilities-accessor',
    'auth/token/lookup',
    'auth/token/lookup-self',
    'auth/token/lookup-accessor',
    'sys/leases/lookup',
    'sys/wrapping/lookup',
    'sys/audit-hash/**',
  ].map((pattern) => ({ pattern, action: 'read' as const, operations: [] })),
  ...['auth/token/revoke', 'auth/token/revoke-self', 'auth/token/revoke-accessor', 'sys/leases/revoke', 'sys/leases/revoke/**', 'sys/revoke/**'].map(
    (pattern) => ({ pattern, action: 'delete' as const, operations: [] }),
  ),
];

/**
 * Where the agent id comes from, first non-empty wins. Paths are read from the auth block of the token in
 * question (the caller's `auth` for calls and denials, `response.auth` for a newly issued token); a path
 * starting with `$.` is read from the whole audit entry instead (e.g. `$.request.headers.x-agent-id` for an
 * audited request header). AppRole puts the role in `metadata.role_name`, Kubernetes the service account
 * in `metadata.service_account_name`; `display_name` and `entity_id` cover every other auth method.
 */
export const DEFAULT_AGENT_ID_PATHS = ['metadata.role_name', 'metadata.service_account_name', 'display_name', 'entity_id'];

export const VaultOptions = z.strictObject({
  /** Issuer name for `token_issued`; the namespace and auth mount are appended (`vault/auth/approle`). */
  issuer: z.string().min(1).default('vault'),
  agentIdPaths: z.array(z.string().min(1)).min(1).default(DEFAULT_AGENT_ID_PATHS),
  /** Prepended to every agent id read from the entry, e.g. `spiffe://corp.example/agents/`. */
  agentIdPrefix: z.string().default(''),
  /**
   * Agent id for requests Vault could not attribute (no token accessor, no identity, token unknown to this
   * adapter): failed logins, requests with invalid tokens. Empty = reject them with a reason.
   */
  unauthenticatedAgentId: z.string().default(''),
  /** Tools are `<toolPrefix>.<mount type>.<operation>`, e.g. `vault.kv.read`. */
  toolPrefix: z.string().min(1).default('vault'),
  /** Resources are `<resourcePrefix><namespace path><request path>`, e.g. `vault://secret/data/apps/x`. */
  resourcePrefix: z.string().default('vault://'),
  /** `environment` of every event; empty = not set. */
  environment: z.string().default(''),
  /**
   * What a `permission denied` becomes: a `policy_decision` deny (Vault's ACL decided), a `tool_call` with
   * outcome `denied`, or both. Both counts each denial twice in denial-rate rules, hence not the default.
   */
  deniedAs: z.enum(['policy_decision', 'tool_call', 'both']).default('policy_decision'),
  /**
   * Request entries are held until their response entry (which carries the outcome) and then dropped.
   * `emit`: a request whose response never came is mapped from the request alone at flush (or when the
   * pending set is full); `skip`: request entries are only counted as skipped.
   */
  unansweredRequests: z.enum(['emit', 'skip']).default('emit'),
  pathActions: z.array(VaultPathAction).default(DEFAULT_PATH_ACTIONS),
  /** Request entries held while waiting for their response; the oldest is released when full. */
  maxPendingRequests: z.number().int().min(0).default(10_000),
  /** Tokens remembered (HMAC'd client token -> accessor -> agent) to attribute revocations and bad-token calls. */
  tokenMemory: z.number().int().min(0).default(50_000),
});
export type VaultOptions = z.infer<typeof VaultOptions>;
export type VaultOptionsInput = z.input<typeof VaultOptions>;

/** Validates adapter options; a bad configuration is a startup error, so this throws with every problem. */
export function parseVaultOptions(input: VaultOptionsInput = {}): VaultOptions {
  const r = VaultOptions.safeParse(input);
  if (!r.success) throw new Error(`invalid vault adapter options:\n${z.prettifyError(r.error)}`);
  return r.data;
}
