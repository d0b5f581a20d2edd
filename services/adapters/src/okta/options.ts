import { Duration } from '@agentwatch/schemas';
import { z } from 'zod';

/** A precedence list of dotted paths into the LogEvent (`debugContext.debugData.clientId`). */
const Paths = z.array(z.string().min(1));

/**
 * Where the agent (the OAuth client) is named, first non-empty wins. `actor.*` paths are skipped when the
 * actor is a person (`personActorTypes`): a user's grant belongs to the client the user signed in to.
 */
export const DEFAULT_AGENT_PATHS = ['debugContext.debugData.clientId', 'client.id', 'actor.alternateId', 'actor.id'];

/** Configuration of the Okta System Log adapter. Every field has a default. */
export const OktaOptions = z.strictObject({
  /** `source` of every event. */
  source: z.string().min(1).default('okta'),
  agentIdPaths: Paths.min(1).default(DEFAULT_AGENT_PATHS),
  /** Put in front of every agent id, e.g. `okta:` or `spiffe://corp.example/clients/`. */
  agentIdPrefix: z.string().default(''),
  /** `actor.type` values that are people: never the agent, but the principal (`on_behalf_of`). */
  personActorTypes: z.array(z.string()).default(['User']),
  /** Where a token id may be when the grant has no access-token target; the event `uuid` is the last resort. */
  tokenIdPaths: Paths.default(['debugContext.debugData.tokenId', 'debugContext.debugData.jti']),
  /**
   * Granted token types (the event type suffix, `app.oauth2.as.token.grant.<type>`) recorded as `token_issued`.
   * ID tokens and refresh tokens are not API credentials by default; the access tokens they lead to are.
   */
  issuedTokenTypes: z.array(z.string().min(1)).default(['access_token']),
  /** `expires_at - time` when a grant names no expiry: Okta's default access token lifetime is one hour. */
  defaultTokenTtl: Duration.default('1h'),
  /**
   * The Okta org URL (`https://corp.okta.com`), to write issuers as Okta does: `<orgUrl>/oauth2/<server id>`
   * for custom authorization servers, `<orgUrl>` for the org server. Empty: `okta:oauth2/<server id>` / `okta`.
   */
  orgUrl: z.string().default(''),
  /** `environment` of every event (one Okta org is usually one environment); empty = not set. */
  environment: z.string().default(''),
  /**
   * Canonical fields the System Log has no place for, read when a pipeline in front of agentwatch adds them to
   * the LogEvent (by default an `agentwatch` object). First usable value wins; a value of the wrong type is not
   * mapped, it is kept as `okta.<field>` in attributes and named in `agentwatch.fields_ignored`.
   * `sessionIdPaths` and `taskIdPaths` apply to every event; `parentTokenIdPaths` and `delegationChainPaths`
   * (an array of agent ids, or one string of them separated by commas or spaces, ending with the agent) to grants.
   */
  sessionIdPaths: Paths.default(['agentwatch.session_id']),
  taskIdPaths: Paths.default(['agentwatch.task_id']),
  parentTokenIdPaths: Paths.default(['agentwatch.parent_token_id']),
  delegationChainPaths: Paths.default(['agentwatch.delegation_chain']),
  /** Map `policy.*` evaluations with outcome ALLOW to `policy_decision` allow (skipped by default: a grant follows). */
  mapPolicyAllows: z.boolean().default(false),
});
export type OktaOptions = z.infer<typeof OktaOptions>;
