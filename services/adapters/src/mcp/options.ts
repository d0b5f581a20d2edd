import { Action } from '@agentwatch/schemas';
import { z } from 'zod';

/** A regular expression given as text; checked when the adapter is created, not on the first record. */
const RegexText = z.string().refine(
  (s) => {
    try {
      new RegExp(s, 'i');
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected a valid regular expression' },
);

/** A precedence list of dotted paths into the gateway's log record (`agent.id`, `headers["mcp-session-id"]`). */
const Paths = z.array(z.string().min(1));

/** Configuration of the MCP `tools/call` adapter. Every field has a default. */
export const McpOptions = z.strictObject({
  /** `source` of every event: `mcp`, or `gateway:<name>` for a named gateway. */
  source: z.string().min(1).default('mcp'),
  /** Where the JSON-RPC message is inside the gateway's envelope (an object, an array batch, or JSON text). */
  messagePaths: Paths.default(['message', 'payload', 'body']),
  timePaths: Paths.default(['time', 'timestamp', '@timestamp', 'ts']),
  sessionPaths: Paths.default(['session_id', 'sessionId', 'session.id', 'mcp_session_id', 'headers["mcp-session-id"]']),
  agentPaths: Paths.default(['agent_id', 'agentId', 'agent.id', 'client_id', 'clientId', 'client.id', 'principal', 'subject']),
  serverPaths: Paths.default(['server_name', 'serverName', 'server.name', 'server']),
  directionPaths: Paths.default(['direction']),
  tokenPaths: Paths.default(['token_id', 'auth.token_id', 'auth.jti']),
  sourceIpPaths: Paths.default(['source_ip', 'client_ip', 'remote_addr', 'client.ip']),
  environmentPaths: Paths.default(['environment', 'env']),
  onBehalfOfPaths: Paths.default(['on_behalf_of']),
  /** Direction values (case-insensitive) meaning client -> server and server -> client; anything else counts as unknown. */
  clientToServer: z.array(z.string()).default(['client_to_server', 'client->server', 'c2s', 'to_server']),
  serverToClient: z.array(z.string()).default(['server_to_client', 'server->client', 's2c', 'to_client']),
  /**
   * When the envelope names no agent: take the client's self-reported `clientInfo.name` (per request in
   * `params._meta`, 2026-07-28; or from the session's `initialize`, 2025-11-25). Self-reported, so it is
   * marked in attributes (`mcp.agent_from`); turn off to reject such calls instead.
   */
  agentFromClientInfo: z.boolean().default(true),
  /** Put in front of a clientInfo-derived agent id, e.g. `mcp-client:`. */
  clientInfoAgentPrefix: z.string().default(''),
  /** Tool = `<server><serverToolSeparator><params.name>` when the envelope names the server. */
  prefixToolWithServer: z.boolean().default(false),
  serverToolSeparator: z.string().default('.'),
  /** JSON-RPC error codes that mean the call was refused (a gateway's authorization error), not that it failed. */
  deniedErrorCodes: z.array(z.number().int()).default([-32003]),
  /** JSON-RPC error messages that mean refused, whatever the code; empty = codes only. */
  deniedErrorMessagePattern: RegexText.default('permission denied|forbidden|not authori[sz]ed|unauthori[sz]ed|access denied|denied by policy'),
  /** A `tools/call` never answered (end of input, pending limit, cancellation is separate): `failure` event or reject. */
  unansweredCalls: z.enum(['failure', 'reject']).default('failure'),
  /** Requests awaiting their response, across all sessions; past it the oldest is given up as unanswered. */
  maxPending: z.number().int().min(1).max(1_000_000).default(10_000),
  /** Sessions whose `initialize` clientInfo is remembered (oldest forgotten first). */
  maxSessions: z.number().int().min(1).max(1_000_000).default(10_000),
  /** Tool arguments kept in attributes: top-level keys, and characters per value. */
  maxArgumentKeys: z.number().int().min(0).max(256).default(16),
  maxArgumentChars: z.number().int().min(16).max(4096).default(256),
  /** Argument names whose string value is the call's `resource` (first found). */
  resourceArguments: z.array(z.string()).default(['uri', 'url', 'resource_uri']),
  /** Tool name -> canonical action, for tools whose effect you know (MCP itself carries no action). */
  toolActions: z.record(z.string(), Action).default({}),
});

export type McpOptions = z.infer<typeof McpOptions>;
export type McpOptionsInput = z.input<typeof McpOptions>;
