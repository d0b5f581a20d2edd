import { Gauge } from 'prom-client';
import type { ApiMetrics } from './metrics.ts';
import type { ExporterView } from './routes/exporter-schemas.ts';

/**
 * The figures of GET /v1/exporters as Prometheus gauges, labelled `exporter` (exporters.md), read at each scrape.
 * delivered/failed/filtered are gauges, not counters: they are the store's totals and survive restarts.
 */
export function registerExporterGauges(metrics: ApiMetrics, exporters: () => Promise<ExporterView[]>): void {
  const registers = [metrics.registry];
  let snapshot: Promise<ExporterView[]> | null = null;
  // One read of the exporters per scrape, shared by every gauge (the backlog is a store query).
  const read = (): Promise<ExporterView[]> => {
    snapshot ??= exporters().finally(() => setTimeout(() => (snapshot = null), 0));
    return snapshot;
  };
  const gauge = (name: string, help: string, value: (v: ExporterView) => number | null): void => {
    new Gauge({
      name,
      help,
      labelNames: ['exporter', 'type'],
      registers,
      async collect() {
        this.reset();
        for (const v of await read()) {
          const n = value(v);
          if (n !== null) this.set({ exporter: v.name, type: v.type }, n);
        }
      },
    });
  };
  const seconds = (iso: string | null): number | null => (iso === null ? null : Date.parse(iso) / 1000);
  gauge('agentwatch_exporter_delivered', 'Alert versions the receiver acknowledged (stored total)', (v) => v.delivered);
  gauge('agentwatch_exporter_pending', 'Alert versions queued in the store and not yet sent (backlog)', (v) => v.pending);
  gauge('agentwatch_exporter_failed', 'Alert versions the receiver refused for good (kept in the store)', (v) => v.failed);
  gauge('agentwatch_exporter_filtered', "Alert versions the exporter's filter passed over", (v) => v.filtered);
  gauge('agentwatch_exporter_retries', 'Failed send attempts retried since this process started', (v) => v.retries);
  gauge('agentwatch_exporter_retrying', '1 while the exporter retries a failed send (receiver down or refusing)', (v) => (v.state === 'retrying' ? 1 : 0));
  gauge('agentwatch_exporter_last_delivery_timestamp_seconds', 'When the receiver last acknowledged a delivery', (v) => seconds(v.last_delivery));
  gauge('agentwatch_exporter_oldest_pending_timestamp_seconds', 'When the oldest version of the backlog was queued', (v) => seconds(v.oldest_pending));
}
