import { z } from 'zod';
import { Rfc3339 } from './common.ts';

/** Kinds of canonical event, events.md v1. */
export const EVENT_KINDS = ['tool_call', 'token_issued', 'token_revoked', 'policy_decision'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export const ACTIONS = ['read', 'write', 'delete', 'execute', 'send', 'transfer', 'admin', 'other'] as const;
export const Action = z.enum(ACTIONS);
export type Action = z.infer<typeof Action>;

const Attributes = z.record(z.string(), z.string());
const Count = z.number().int().min(0);

/** Fields every kind carries (events.md "Envelope"). */
const envelope = {
  event_id: z.string().min(1).max(128),
  time: Rfc3339,
  agent_id: z.string().min(1).max(256),
  source: z.string().optional(),
  environment: z.string().optional(),
  session_id: z.string().optional(),
  task_id: z.string().optional(),
  on_behalf_of: z.string().optional(),
  delegation_chain: z.array(z.string().min(1)).optional(),
  source_ip: z.union([z.ipv4(), z.ipv6()], { message: 'expected an IPv4 or IPv6 address' }).optional(),
  attributes: Attributes.optional(),
};

export const ToolCallEvent = z.strictObject({
  kind: z.literal('tool_call'),
  ...envelope,
  tool: z.string().min(1),
  action: Action.optional(),
  resource: z.string().optional(),
  outcome: z.enum(['success', 'failure', 'denied']),
  token_id: z.string().min(1).optional(),
  bytes_in: Count.optional(),
  bytes_out: Count.optional(),
  records: Count.optional(),
  duration_ms: z.number().min(0).optional(),
  approval: z.strictObject({ by: z.string().min(1), at: Rfc3339.optional() }).optional(),
  context_trust: z.enum(['trusted', 'untrusted']).optional(),
});

export const TokenIssuedEvent = z.strictObject({
  kind: z.literal('token_issued'),
  ...envelope,
  token_id: z.string().min(1),
  issuer: z.string().min(1),
  scopes: z.array(z.string()),
  audience: z.array(z.string()).optional(),
  expires_at: Rfc3339,
  grant_type: z.string().optional(),
  parent_token_id: z.string().min(1).optional(),
});

export const TokenRevokedEvent = z.strictObject({
  kind: z.literal('token_revoked'),
  ...envelope,
  token_id: z.string().min(1),
  reason: z.string().optional(),
});

export const PolicyDecisionEvent = z.strictObject({
  kind: z.literal('policy_decision'),
  ...envelope,
  decision: z.enum(['allow', 'deny']),
  policy: z.string().optional(),
  tool: z.string().min(1).optional(),
  resource: z.string().optional(),
  action: Action.optional(),
  token_id: z.string().min(1).optional(),
});

/** A canonical event: the only shape detections, storage and the API see. */
export const CanonicalEvent = z.discriminatedUnion('kind', [ToolCallEvent, TokenIssuedEvent, TokenRevokedEvent, PolicyDecisionEvent]);

export type ToolCallEvent = z.infer<typeof ToolCallEvent>;
export type TokenIssuedEvent = z.infer<typeof TokenIssuedEvent>;
export type TokenRevokedEvent = z.infer<typeof TokenRevokedEvent>;
export type PolicyDecisionEvent = z.infer<typeof PolicyDecisionEvent>;
export type CanonicalEvent = z.infer<typeof CanonicalEvent>;
