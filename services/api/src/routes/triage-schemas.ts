import { ALERT_STATUSES, Alert, AlertStatus, CanonicalEvent, RegistryAgent, Severity } from '@agentwatch/schemas';
import { z } from 'zod';
import { Assignee, MAX_COMMENT } from '../request-schemas.ts';

/**
 * Request and answer schemas of the triage routes (routes/triage.ts; api.md 1.1 and the agreed shapes). Requests are
 * validated with them; answers are documented (GET /openapi.json).
 */

/** Most alert ids in one POST /v1/alerts/bulk. */
export const MAX_BULK_IDS = 1000;
/** Longest comment text, in characters (POST /v1/alerts/{id}/comments). */
export const MAX_COMMENT_TEXT = 10_000;
const MAX_ID_CHARS = 1024;

const objectError = (shape: string) => (iss: { code: string }) =>
  iss.code === 'invalid_type' ? `expected a JSON object ${shape} with Content-Type: application/json` : undefined;

const COMMENT_MESSAGE = `expected a string of at most ${MAX_COMMENT} characters`;
const IDS_MESSAGE = `expected an array of 1 to ${MAX_BULK_IDS} alert ids`;

/** POST /v1/alerts/bulk: the same triage change to many alerts. */
export const BulkBody = z
  .strictObject(
    {
      alert_ids: z
        .array(
          z
            .string({ error: () => 'expected an alert id (a string)' })
            .min(1, 'empty alert id')
            .max(MAX_ID_CHARS, `at most ${MAX_ID_CHARS} characters`),
          {
            error: () => IDS_MESSAGE,
          },
        )
        .min(1, IDS_MESSAGE)
        .max(MAX_BULK_IDS, `at most ${MAX_BULK_IDS} alert ids in one request`),
      status: z.enum(ALERT_STATUSES, { error: () => `expected one of ${ALERT_STATUSES.join(', ')}` }).optional(),
      assignee: Assignee.optional(),
      comment: z
        .string({ error: () => COMMENT_MESSAGE })
        .max(MAX_COMMENT, COMMENT_MESSAGE)
        .optional(),
    },
    { error: objectError('{"alert_ids": [...], "status"?, "assignee"?, "comment"?}') },
  )
  .refine((b) => b.status !== undefined || b.assignee !== undefined || b.comment !== undefined, {
    message: 'expected at least one of status, assignee, comment',
  });
export type BulkBody = z.output<typeof BulkBody>;

const TEXT_MESSAGE = `expected a non-empty string of at most ${MAX_COMMENT_TEXT} characters`;
/** POST /v1/alerts/{id}/comments. */
export const CommentBody = z.strictObject(
  {
    text: z
      .string({ error: () => TEXT_MESSAGE })
      .max(MAX_COMMENT_TEXT, TEXT_MESSAGE)
      .refine((t) => t.trim() !== '', TEXT_MESSAGE),
  },
  { error: objectError('{"text": "..."}') },
);
export type CommentBody = z.output<typeof CommentBody>;

// --- answers (documented, not validated)

export const StatusChange = z
  .object({
    alert_id: z.string(),
    at: z.string(),
    from_status: AlertStatus,
    status: AlertStatus,
    comment: z.string(),
    actor: z.string().meta({ description: '`token:<token_id>` or `bootstrap`: from the token of the request' }),
    assignee: z.string().nullable().optional().meta({ description: 'present when the change set the assignee; null: unassigned' }),
    from_assignee: z.string().nullable().optional(),
  })
  .meta({ id: 'StatusChange' });

export const Comment = z.object({ comment_id: z.string(), alert_id: z.string(), at: z.string(), actor: z.string(), text: z.string() }).meta({ id: 'Comment' });

export const ChainLink = z
  .object({
    id: z.string(),
    kind: z.enum(['person', 'agent']),
    registered: z.boolean().meta({ description: "agents: listed in the registry; people: in the registry's people or owner of a registered agent" }),
    owner: z.string().nullable().optional(),
  })
  .meta({ id: 'ChainLink' });

export const Baseline = z
  .object({
    rule_figures: z.record(z.string(), z.unknown()).meta({ description: "what the rule compared: the alert's evidence without event_ids" }),
    hour_of_day_events: z
      .array(z.number())
      .length(24)
      .meta({ description: 'mean events per active day in each UTC hour of day, over the 30 days before this hour' }),
    typical_hourly_events: z.number().meta({ description: 'median events of the active hours in those 30 days' }),
    active_hours: z.number().int(),
    this_hour: z.string().meta({ description: "the UTC hour of the alert's last_seen" }),
    this_hour_events: z.number(),
  })
  .meta({ id: 'Baseline' });

export const AlertDetail = z.object({
  alert: Alert,
  events: z.array(CanonicalEvent),
  history: z.array(StatusChange),
  comments: z.array(Comment),
  registry: RegistryAgent.nullable(),
  baseline: Baseline.nullable(),
  chain: z.array(ChainLink),
  related: z.array(Alert).meta({ description: 'other alerts of the same agent, most recently active first, at most 20' }),
});

export const StatusAnswer = z.object({ alert: Alert, history: z.array(StatusChange) });
export const BulkAnswer = z.object({
  updated: z.array(z.string()).meta({ description: 'ids changed (or already changed by the same request)' }),
  not_found: z.array(z.string()),
});
export const CommentAnswer = z.object({ comment: Comment });

export const AgentView = z
  .object({
    agent_id: z.string(),
    registered: z.boolean(),
    registry: RegistryAgent.nullable(),
    activity: z.object({ first_seen: z.string(), last_seen: z.string(), events: z.number().int() }).nullable(),
    alerts: z.object({ total: z.number().int(), open: z.number().int(), max_severity: Severity.nullable() }),
  })
  .meta({ id: 'AgentView' });

export const AgentHourly = z.object({
  hour: z.string(),
  events: z.number(),
  calls: z.number().meta({ description: 'tool calls' }),
  denied: z.number(),
  bytes_out: z.number(),
  records: z.number(),
  failures: z.number(),
  distinct_tools: z.number(),
  distinct_resources: z.number(),
});

export const AgentToken = z.object({
  token_id: z.string(),
  issuer: z.string().optional(),
  scopes: z.array(z.string()).optional(),
  expires_at: z.string().optional(),
  first_seen: z.string(),
  last_seen: z.string(),
  events: z.number().int(),
});

export const AgentDetail = z.object({
  agent: AgentView.extend({
    hourly: z.array(AgentHourly).meta({ description: 'the stored hourly aggregates of the last 30 days' }),
    tokens: z.array(AgentToken).meta({ description: "credentials seen on the agent's events, most recently used first" }),
  }),
});
