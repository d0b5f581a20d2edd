import { z } from 'zod';

const Rfc3339OrNull = z.string().nullable();

/** One exporter as GET /v1/exporters shows it (exporters.md): its counts, backlog and last error. */
export const ExporterView = z.object({
  name: z.string(),
  type: z.enum(['ocsf', 'syslog', 'hec', 'webhook', 'kafka']),
  target: z.string().meta({ description: 'where it delivers (URL, address, file or topic), credentials cut' }),
  state: z.enum(['starting', 'idle', 'delivering', 'retrying', 'stopped']),
  delivered: z.number().int().min(0).meta({ description: 'alert versions the receiver acknowledged' }),
  pending: z.number().int().min(0).meta({ description: 'alert versions queued in the store and not yet sent (the backlog)' }),
  failed: z.number().int().min(0).meta({ description: 'alert versions the receiver refused for good (kept in the store)' }),
  filtered: z.number().int().min(0).meta({ description: "alert versions the exporter's filter passed over" }),
  retries: z.number().int().min(0).meta({ description: 'failed send attempts retried since this process started' }),
  last_delivery: Rfc3339OrNull,
  last_error: z.string().nullable(),
  last_error_at: Rfc3339OrNull,
  oldest_pending: Rfc3339OrNull.meta({ description: 'when the oldest version of the backlog was queued' }),
  next_retry_at: Rfc3339OrNull,
});
export type ExporterView = z.infer<typeof ExporterView>;

export const ExporterList = z.object({ exporters: z.array(ExporterView) });
