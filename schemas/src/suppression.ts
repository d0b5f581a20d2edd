import { z } from 'zod';
import { Category } from './alert.ts';
import { Rfc3339 } from './common.ts';

/** Most characters of a suppression's reason. */
export const MAX_SUPPRESSION_REASON = 2_000;
/** Most characters of one match value (a rule id or a glob). */
const MAX_MATCH_VALUE = 1_000;

const matchValue = (what: string) =>
  z
    .string({ error: () => `expected a ${what} string` })
    .trim()
    .min(1, `empty ${what}`)
    .max(MAX_MATCH_VALUE, `at most ${MAX_MATCH_VALUE} characters`);

/**
 * What a suppression matches (alerts.md "Suppressions"): every field given must match the alert; at least one is
 * required, so an empty match can never hide every alert. `agent_id`, `tool` and `resource` are globs (registry.md
 * syntax: `*` within one segment, `**` across segments); which alerts have a tool or resource is
 * detections/src/suppressions/alert-subject.ts. Unknown keys are refused: a typo must not widen a match.
 */
export const SuppressionMatch = z
  .strictObject(
    {
      rule_id: matchValue('rule id').optional().meta({ description: 'exact rule id, e.g. scope.tool_outside_registry' }),
      agent_id: matchValue('glob').optional().meta({ description: 'glob on the alert agent_id (segments split on /)' }),
      tool: matchValue('glob').optional().meta({ description: 'glob on the tool the alert is about (evidence.tool; segments split on .)' }),
      resource: matchValue('glob').optional().meta({ description: 'glob on the resource the alert is about (evidence.resource; segments split on /)' }),
      category: Category.optional(),
    },
    {
      error: (iss) =>
        iss.code === 'unrecognized_keys'
          ? `unknown key ${iss.keys.map((k) => JSON.stringify(k)).join(', ')}; expected rule_id, agent_id, tool, resource or category`
          : iss.code === 'invalid_type'
            ? 'expected an object with at least one of rule_id, agent_id, tool, resource, category'
            : undefined,
    },
  )
  .refine((m) => Object.values(m).some((v) => v !== undefined), {
    message: 'at least one of rule_id, agent_id, tool, resource, category is required',
  })
  .meta({ id: 'SuppressionMatch' });
export type SuppressionMatch = z.infer<typeof SuppressionMatch>;

export const SuppressionReason = z
  .string({ error: () => 'required: a string saying why these alerts are benign' })
  .trim()
  .min(1, 'required: say why these alerts are benign')
  .max(MAX_SUPPRESSION_REASON, `at most ${MAX_SUPPRESSION_REASON} characters`);

/** A suppression as created (API) or listed in a `replay --suppressions` file: the part detection needs. */
export const SuppressionRule = z.object({
  id: z.string().min(1),
  match: SuppressionMatch,
  reason: SuppressionReason,
  author: z.string(),
  created_at: Rfc3339,
  expires_at: Rfc3339,
});
export type SuppressionRule = z.infer<typeof SuppressionRule>;

/** A suppression as the API answers it (issue14-shapes.md): the rule plus its hits and state. */
export const Suppression = SuppressionRule.extend({
  /** Alerts it suppressed, each counted once however often it was re-emitted. */
  hits: z.number().int().min(0),
  /** Event time (last_seen) of the latest alert emission it suppressed. */
  last_hit: Rfc3339.nullable(),
  /** expires_at is past (wall clock of the answer). */
  expired: z.boolean(),
  deleted_at: Rfc3339.nullable().optional(),
}).meta({ id: 'Suppression' });
export type Suppression = z.infer<typeof Suppression>;

/**
 * One entry of a `replay --suppressions FILE` list. `id`, `author` and `created_at` may be left out (an id is then
 * derived from the entry, so replays give the same ids); the read-only fields GET /v1/suppressions adds (`hits`,
 * `last_hit`, `expired`, `deleted_at`) are accepted and ignored, so that answer's list can be replayed as it is.
 * No limit on `expires_at` here: replay runs over past events, and a suppression is tested before it is created.
 */
export const SuppressionFileEntry = z.strictObject({
  id: z.string().trim().min(1, 'empty id').optional(),
  match: SuppressionMatch,
  reason: SuppressionReason,
  expires_at: Rfc3339,
  author: z.string().optional(),
  created_at: Rfc3339.optional(),
  hits: z.unknown().optional(),
  last_hit: z.unknown().optional(),
  expired: z.unknown().optional(),
  deleted_at: z.unknown().optional(),
});
export type SuppressionFileEntry = z.infer<typeof SuppressionFileEntry>;
