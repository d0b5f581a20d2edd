import { z } from 'zod';
import { Duration } from './common.ts';
import { Action } from './event.ts';

/** A calendar date (`2026-01-10`) or a full RFC 3339 timestamp. */
const DateLike = z.union([z.iso.date(), z.iso.datetime({ offset: true })], {
  message: 'expected a date (YYYY-MM-DD) or an RFC 3339 timestamp',
});
const Patterns = z.array(z.string().min(1, { message: 'expected a non-empty glob pattern' }));

export const Person = z.strictObject({
  id: z.string().min(1),
  status: z.enum(['active', 'departed']),
  name: z.string().optional(),
});

export const AgentScope = z.strictObject({
  tools: Patterns.optional(),
  resources: Patterns.optional(),
  actions: z.array(Action).optional(),
  token_scopes: Patterns.optional(),
  environments: z.array(z.string().min(1)).optional(),
  max_token_ttl: Duration.optional(),
});

export const AgentDelegation = z.strictObject({
  may_delegate_to: Patterns.default([]),
  max_depth: z.number().int().min(1).optional(),
});

export const RegistryAgent = z.strictObject({
  id: z.string().min(1).max(256),
  name: z.string().min(1),
  owner: z.string().min(1),
  team: z.string().optional(),
  status: z.enum(['active', 'suspended', 'retired']),
  purpose: z.string().min(1),
  registered_at: DateLike,
  last_reviewed: DateLike.optional(),
  scope: AgentScope.default({}),
  high_consequence_tools: Patterns.optional(),
  delegation: AgentDelegation.optional(),
});

/** The agent registry file, registry.md v1. */
export const Registry = z.strictObject({
  people: z.array(Person).default([]),
  agents: z.array(RegistryAgent),
});

export type Person = z.infer<typeof Person>;
export type AgentScope = z.infer<typeof AgentScope>;
export type RegistryAgent = z.infer<typeof RegistryAgent>;
export type Registry = z.infer<typeof Registry>;
