import type { ExporterConfig } from '@agentwatch/schemas';
import type { OutboxStore } from '@agentwatch/store';
import type { Transport } from '../transports/transport.ts';
import { exportFilter, exportIncidentFilter } from './export-filter.ts';
import { ExportWorker, type ExportWorkerOptions } from './export-worker.ts';

/** One exporter as GET /v1/exporters and the metrics show it (the API's ExporterView). */
export interface ExporterStatus {
  name: string;
  type: ExporterConfig['type'];
  target: string;
  state: 'starting' | 'idle' | 'delivering' | 'retrying' | 'stopped';
  delivered: number;
  pending: number;
  failed: number;
  filtered: number;
  retries: number;
  last_delivery: string | null;
  last_error: string | null;
  last_error_at: string | null;
  oldest_pending: string | null;
  next_retry_at: string | null;
}

/** Where an exporter delivers, safe to show and log: a URL without user info, query or fragment; an address; a file. */
export function exporterTarget(c: ExporterConfig): string {
  const url = (u: string): string => {
    const p = new URL(u);
    return `${p.protocol}//${p.host}${p.pathname}`;
  };
  switch (c.type) {
    case 'hec':
    case 'webhook':
      return url(c.url);
    case 'syslog':
      return c.address;
    case 'ocsf':
      return c.path !== undefined ? `file:${c.path}` : url(c.url as string);
    case 'kafka':
      return `kafka:${c.topic}`;
  }
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * The configured exporters of one process: a worker each over the store's outbox. `start` loads every cursor before
 * it returns (call it before alerts flow); `stop` ends the sends in flight and closes the transports.
 */
export class ExporterSet {
  private constructor(
    private readonly workers: ExportWorker[],
    private readonly outbox: OutboxStore,
  ) {}

  static async start(opts: {
    exporters: readonly ExporterConfig[];
    outbox: OutboxStore;
    /** Builds each exporter's transport (secrets already resolved by the caller). */
    transport: (c: ExporterConfig) => Transport;
    log?: ExportWorkerOptions['log'];
    /** Test hooks: backoff and idle poll of every worker. */
    tuning?: Pick<ExportWorkerOptions, 'backoff' | 'idlePollMs'>;
  }): Promise<ExporterSet> {
    const workers = opts.exporters.map(
      (c) =>
        new ExportWorker({
          name: c.name,
          type: c.type,
          target: exporterTarget(c),
          outbox: opts.outbox,
          transport: opts.transport(c),
          accepts: exportFilter(c.filter),
          acceptsIncident: exportIncidentFilter(c.filter),
          batchSize: c.batch_size,
          ...(opts.log ? { log: opts.log } : {}),
          ...opts.tuning,
        }),
    );
    await Promise.all(workers.map((w) => w.start()));
    return new ExporterSet(workers, opts.outbox);
  }

  get size(): number {
    return this.workers.length;
  }

  /** Each exporter's state with its backlog read from the store (a store that cannot answer shows the last known). */
  async status(): Promise<ExporterStatus[]> {
    return Promise.all(
      this.workers.map(async (w) => {
        const s = w.state();
        const backlog = await this.outbox.backlog(s.cursorSeq).catch(() => ({ count: 0, oldestMs: null }));
        return {
          name: s.name,
          type: s.type as ExporterConfig['type'],
          target: s.target,
          state: s.state,
          delivered: s.delivered,
          pending: backlog.count,
          failed: s.failed,
          filtered: s.filtered,
          retries: s.retries,
          last_delivery: iso(s.lastDeliveryMs),
          last_error: s.lastError === '' ? null : s.lastError,
          last_error_at: iso(s.lastErrorAtMs),
          oldest_pending: iso(backlog.oldestMs),
          next_retry_at: s.state === 'retrying' ? iso(s.nextRetryAtMs) : null,
        };
      }),
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.stop()));
  }
}
