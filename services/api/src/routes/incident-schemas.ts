import { Alert, INCIDENT_STATUSES, Incident, IncidentStatus, SEVERITIES } from '@agentwatch/schemas';
import { INCIDENT_SORTS } from '@agentwatch/store';
import { z } from 'zod';
import { PageCursor, PageLimit, quoted, singleError, TimestampParam } from '../request-schemas.ts';

/**
 * Request and answer schemas of the incident routes (api.md 1.1), validated by the server's validator compiler and
 * rendered into GET /openapi.json. Messages name what was wrong the way the alert routes' do (request-schemas.ts).
 */

/** `status`: repeated or comma-separated. */
const Statuses = z
  .union([z.string(), z.array(z.string()).min(1)])
  .transform((v, ctx) => {
    const values = (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim());
    const bad = values.filter((s) => !(INCIDENT_STATUSES as readonly string[]).includes(s));
    if (bad.length > 0) {
      ctx.addIssue({ code: 'custom', message: `expected one of ${INCIDENT_STATUSES.join(', ')}, got ${bad.map(quoted).join(', ')}` });
      return z.NEVER;
    }
    return values as IncidentStatus[];
  })
  .meta({ description: `one or more of ${INCIDENT_STATUSES.join(', ')}; repeated or comma-separated` });

/** GET /v1/incidents query parameters. Unknown parameters are refused so a typo never widens a filter. */
export const IncidentQuery = z.strictObject({
  status: Statuses.optional(),
  agent_id: z
    .string({ error: singleError(quoted) })
    .min(1, 'empty value')
    .meta({ description: 'incidents involving this agent' })
    .optional(),
  since: TimestampParam.meta({ description: 'incidents active at or after this time (last_seen >= since)' }).optional(),
  until: TimestampParam.meta({ description: 'incidents that started before this time (first_seen < until)' }).optional(),
  severity: z
    .enum(SEVERITIES, { error: singleError((v) => `expected one of ${SEVERITIES.join(', ')}, got ${quoted(v)}`) })
    .meta({ description: 'minimum severity' })
    .optional(),
  limit: PageLimit.optional(),
  cursor: PageCursor.meta({ description: 'next_cursor of the previous page (with the same sort)' }).optional(),
  sort: z
    .enum(INCIDENT_SORTS, { error: singleError((v) => `expected one of ${INCIDENT_SORTS.join(', ')}, got ${quoted(v)}`) })
    .meta({ description: 'newest activity first (-last_seen, default) or highest risk first (-risk_score)' })
    .optional(),
});
export type IncidentQuery = z.output<typeof IncidentQuery>;

export const IncidentIdParams = z.object({ incident_id: z.string().min(1, 'empty').meta({ description: 'the incident id' }) });

/** Largest comment, in characters (as for alerts). */
const MAX_COMMENT = 10_000;
const COMMENT_MESSAGE = `expected a string of at most ${MAX_COMMENT} characters`;
const ASSIGNEE_MESSAGE = 'expected a non-empty string of at most 256 characters, or null to unassign';

/** POST /v1/incidents/{incident_id}/status body. */
export const IncidentStatusBody = z.strictObject(
  {
    status: z.enum(INCIDENT_STATUSES, { error: () => `expected one of ${INCIDENT_STATUSES.join(', ')}` }),
    comment: z
      .string({ error: () => COMMENT_MESSAGE })
      .max(MAX_COMMENT, COMMENT_MESSAGE)
      .optional(),
    assignee: z
      .string({ error: () => ASSIGNEE_MESSAGE })
      .min(1, ASSIGNEE_MESSAGE)
      .max(256, ASSIGNEE_MESSAGE)
      .nullable()
      .optional(),
  },
  {
    error: (iss) =>
      iss.code === 'invalid_type'
        ? 'expected a JSON object {"status": "...", "comment"?: "...", "assignee"?: "..."} with Content-Type: application/json'
        : undefined,
  },
);
export type IncidentStatusBody = z.output<typeof IncidentStatusBody>;

export const IncidentStatusChange = z
  .object({
    incident_id: z.string(),
    at: z.string(),
    from_status: IncidentStatus,
    status: IncidentStatus,
    comment: z.string(),
    actor: z.string(),
    assignee: z.string().nullable().optional(),
  })
  .meta({ id: 'IncidentStatusChange' });

export const IncidentView = Incident.meta({ id: 'Incident' });
export const IncidentPage = z.object({ incidents: z.array(IncidentView), next_cursor: z.string().nullable() }).meta({ id: 'IncidentPage' });
export const IncidentDetail = z.object({
  incident: IncidentView,
  alerts: z.array(Alert).meta({ description: 'its alerts in timeline order (first_seen), at most 1,000' }),
  history: z.array(IncidentStatusChange),
});
