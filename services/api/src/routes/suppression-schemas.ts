import { Rfc3339, Suppression, SuppressionMatch, SuppressionReason } from '@agentwatch/schemas';
import { z } from 'zod';

/** POST /v1/suppressions body (alerts.md "Suppressions"); the expiry's range and the globs are checked by the route. */
export const CreateSuppressionBody = z.strictObject(
  {
    match: SuppressionMatch,
    reason: SuppressionReason,
    expires_at: Rfc3339.meta({ description: 'in the future, at most suppression_max_days (default 90) ahead' }),
  },
  { error: (iss) => (iss.code === 'invalid_type' ? 'expected a JSON object {"match": {...}, "reason": "...", "expires_at": "..."}' : undefined) },
);
export type CreateSuppressionBody = z.output<typeof CreateSuppressionBody>;

/** GET /v1/suppressions query. */
export const SuppressionQuery = z.strictObject({
  include_expired: z
    .enum(['true', 'false'], {
      error: (iss) => (Array.isArray(iss.input) ? 'given more than once' : `expected true or false, got ${JSON.stringify(iss.input)}`),
    })
    .meta({ description: 'true: also expired and deleted suppressions (default false: those in force)' })
    .optional(),
});

export const SuppressionIdParams = z.object({ id: z.string().min(1, 'empty').meta({ description: 'the suppression id' }) });

export const SuppressionAnswer = z.object({ suppression: Suppression });
export const SuppressionList = z.object({ suppressions: z.array(Suppression) });
