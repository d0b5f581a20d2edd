import { z } from 'zod';
import { Rfc3339 } from './common.ts';
import { text } from './text.ts';

/** Kinds of canonical event, events.md v1. */
export const EVENT_KINDS = ['tool_call', 'token_issued', 'token_revoked', 'policy_decision'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export const ACTIONS = ['read', 'write', 'delete', 'execute', 'send', 'transfer', 'admin', 'other'] as const;
export const Action = z.enum(ACTIONS);
export type Action = z.infer<typeof Action>;

/**
 * Upper bounds of every string and list of a canonical event (lengths in UTF-16 code units, JavaScript's `.length`).
 * Chosen so that real ids, URIs and principals fit with room to spare while one event cannot carry a megabyte in one
 * field (which then grew into alerts and list answers). The hand-written pre-check (fast-check.ts) reads the same
 * numbers. Strings must also be valid Unicode (text.ts).
 */
export const EVENT_LIMITS = {
  /** events.md: 1..128. */
  eventId: 128,
  /** events.md: 1..256. */
  agentId: 256,
  /** Other ids and short names: session_id, task_id, token_id, parent_token_id, source, environment, grant_type. */
  id: 256,
  /** Principals: on_behalf_of, each delegation_chain actor, approval.by. */
  principal: 512,
  /** Actors in a delegation_chain. */
  delegationHops: 32,
  tool: 256,
  /** Resource URIs. */
  resource: 2048,
  /** Longer free text: issuer, policy, reason. */
  text: 1024,
  /** Each scope / audience entry. */
  scope: 1024,
  /** Entries in scopes and in audience. */
  scopes: 256,
  attributeKey: 256,
  /** 8 KiB of text per attribute value. */
  attributeValue: 8192,
  /** Entries in attributes. */
  attributes: 64,
} as const;

const L = EVENT_LIMITS;
const Attributes = z
  .record(text(L.attributeKey), text(L.attributeValue))
  .refine((a) => Object.keys(a).length <= L.attributes, { message: `expected at most ${L.attributes} attributes` })
  .meta({ maxProperties: L.attributes });
const Count = z.number().int().min(0);
const Id = text(L.id);

/** Fields every kind carries (events.md "Envelope"). */
const envelope = {
  event_id: text(L.eventId, 1),
  time: Rfc3339,
  agent_id: text(L.agentId, 1),
  source: Id.optional(),
  environment: Id.optional(),
  session_id: Id.optional(),
  task_id: Id.optional(),
  on_behalf_of: text(L.principal).optional(),
  delegation_chain: z.array(text(L.principal, 1)).max(L.delegationHops).optional(),
  source_ip: z.union([z.ipv4(), z.ipv6()], { message: 'expected an IPv4 or IPv6 address' }).optional(),
  attributes: Attributes.optional(),
};

export const ToolCallEvent = z.strictObject({
  kind: z.literal('tool_call'),
  ...envelope,
  tool: text(L.tool, 1),
  action: Action.optional(),
  resource: text(L.resource).optional(),
  outcome: z.enum(['success', 'failure', 'denied']),
  token_id: text(L.id, 1).optional(),
  bytes_in: Count.optional(),
  bytes_out: Count.optional(),
  records: Count.optional(),
  duration_ms: z.number().min(0).optional(),
  approval: z.strictObject({ by: text(L.principal, 1), at: Rfc3339.optional() }).optional(),
  context_trust: z.enum(['trusted', 'untrusted']).optional(),
});

export const TokenIssuedEvent = z.strictObject({
  kind: z.literal('token_issued'),
  ...envelope,
  token_id: text(L.id, 1),
  issuer: text(L.text, 1),
  scopes: z.array(text(L.scope)).max(L.scopes),
  audience: z.array(text(L.scope)).max(L.scopes).optional(),
  expires_at: Rfc3339,
  grant_type: Id.optional(),
  parent_token_id: text(L.id, 1).optional(),
});

export const TokenRevokedEvent = z.strictObject({
  kind: z.literal('token_revoked'),
  ...envelope,
  token_id: text(L.id, 1),
  reason: text(L.text).optional(),
});

export const PolicyDecisionEvent = z.strictObject({
  kind: z.literal('policy_decision'),
  ...envelope,
  decision: z.enum(['allow', 'deny']),
  policy: text(L.text).optional(),
  tool: text(L.tool, 1).optional(),
  resource: text(L.resource).optional(),
  action: Action.optional(),
  token_id: text(L.id, 1).optional(),
});

/** A canonical event: the only shape detections, storage and the API see. */
export const CanonicalEvent = z.discriminatedUnion('kind', [ToolCallEvent, TokenIssuedEvent, TokenRevokedEvent, PolicyDecisionEvent]);

export type ToolCallEvent = z.infer<typeof ToolCallEvent>;
export type TokenIssuedEvent = z.infer<typeof TokenIssuedEvent>;
export type TokenRevokedEvent = z.infer<typeof TokenRevokedEvent>;
export type PolicyDecisionEvent = z.infer<typeof PolicyDecisionEvent>;
export type CanonicalEvent = z.infer<typeof CanonicalEvent>;
