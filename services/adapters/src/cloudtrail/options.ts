import { Action } from '@agentwatch/schemas';
import { z } from 'zod';

/**
 * Facts about an STS session that can name the agent, in the order tried (`agentIdFrom`). Issuance records
 * and the calls made with the issued key yield the same facts, so both land on one agent id:
 * - `sourceIdentity`: the `SourceIdentity` set when the role was assumed (sticky across role chaining).
 * - `sessionName`: the role session name, the federated user name, or, for `GetSessionToken`, the IAM user name.
 * - `roleName`: the assumed role's name (no path).
 * - `roleArn`: the assumed role's IAM ARN (`arn:aws:iam::<account>:role/<path/><name>`).
 * - `sessionArn`: the session's own ARN, `arn:aws:sts::<account>:assumed-role/<role>/<session>` or
 *   `arn:aws:sts::<account>:federated-user/<name>` (the IAM user ARN for `GetSessionToken` sessions).
 */
export const SESSION_FACTS = ['sourceIdentity', 'sessionName', 'roleName', 'roleArn', 'sessionArn'] as const;
export type SessionFact = (typeof SESSION_FACTS)[number];

/** What a `token_issued` event's `scopes` list is built from (see README "Scopes"). */
export const SCOPE_SOURCES = ['principalArn', 'policyArns', 'inlinePolicyActions'] as const;

/** Configuration of the CloudTrail adapter. Every field has a default. */
export const CloudTrailOptions = z.strictObject({
  /** `source` of every event. */
  source: z.string().min(1).default('cloudtrail'),
  /** Which session fact names the agent, first present wins; the same list serves issuance and use. */
  agentIdFrom: z.array(z.enum(SESSION_FACTS)).min(1).default(['sourceIdentity', 'sessionName', 'roleName']),
  /** Put in front of every agent id, e.g. `aws:` or `spiffe://corp.example/agents/`. */
  agentIdPrefix: z.string().default(''),
  /** Parts of the issued session's permissions listed as `scopes`. */
  scopesFrom: z.array(z.enum(SCOPE_SOURCES)).default([...SCOPE_SOURCES]),
  /**
   * Calls signed with long-term IAM user keys (`AKIA…`): `skip` (not agent-token activity) or `map` to a
   * `tool_call` whose agent is the IAM user (session facts `sessionName` = user name, `sessionArn` = user ARN).
   */
  longTermKeys: z.enum(['skip', 'map']).default('skip'),
  /**
   * Calls from AWS console sessions (`sessionCredentialFromConsole: "true"`): people clicking, not agents,
   * so `skip` by default; `map` treats them like any other temporary-credential call.
   */
  consoleSessions: z.enum(['skip', 'map']).default('skip'),
  /**
   * When a session with temporary credentials assumes a role under a different agent id (role chaining),
   * record `delegation_chain: [caller, new agent]` on the `token_issued` event.
   */
  roleChainingAsDelegation: z.boolean().default(true),
  /** Account id -> environment (`prod`, `staging`), so environment-scoped registry entries can be checked. */
  accountEnvironments: z.record(z.string(), z.string().min(1)).default({}),
  /** Services whose non-read calls count as `admin` rather than write/delete (IAM prefixes as in `tool`). */
  adminServices: z.array(z.string()).default(['iam', 'organizations', 'sso']),
  /** Exact `tool` -> action, overriding the verb table, e.g. `{ "s3:PutObjectAcl": "admin" }`. */
  actionOverrides: z.record(z.string(), Action).default({}),
});
export type CloudTrailOptions = z.infer<typeof CloudTrailOptions>;
