import { Counter, collectDefaultMetrics, Registry } from 'prom-client';

/** The API's Prometheus registry and counters; the pipeline may count its alerts on `alertsEmitted`. */
export interface ApiMetrics {
  registry: Registry;
  eventsAccepted: Counter;
  eventsRejected: Counter;
  /** Incremented by whoever writes alerts (the pipeline's sink), by the number of alerts emitted. */
  alertsEmitted: Counter;
  alertStatusChanges: Counter<'status'>;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  /**
   * Source records through an adapter, by `source` (`otlp_http` for POST /v1/traces, `topic:<name>` for a raw
   * source topic): canonical events made, records (spans) rejected and kept in the DLQ, records deliberately skipped.
   */
  adapterEvents: Counter<'source'>;
  adapterRejected: Counter<'source'>;
  adapterSkipped: Counter<'source'>;
}

/** A fresh registry (never prom-client's global one, so several servers can live in one process) with default metrics. */
export function createApiMetrics(opts: { defaultMetrics?: boolean } = {}): ApiMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    eventsAccepted: new Counter({ name: 'agentwatch_events_accepted_total', help: 'Events accepted by POST /v1/events', registers }),
    eventsRejected: new Counter({ name: 'agentwatch_events_rejected_total', help: 'Events rejected by POST /v1/events (invalid lines)', registers }),
    alertsEmitted: new Counter({ name: 'agentwatch_alerts_emitted_total', help: 'Alerts emitted by the detection pipeline', registers }),
    alertStatusChanges: new Counter({
      name: 'agentwatch_alert_status_changes_total',
      help: 'Alert triage changes made through the API',
      labelNames: ['status'],
      registers,
    }),
    adapterEvents: new Counter({
      name: 'agentwatch_adapter_events_total',
      help: 'Canonical events mapped from source records by an input adapter (POST /v1/traces, source topics)',
      labelNames: ['source'],
      registers,
    }),
    adapterRejected: new Counter({
      name: 'agentwatch_adapter_rejected_total',
      help: 'Source records (OTLP spans) an input adapter could not map; each is kept with its reason in the DLQ',
      labelNames: ['source'],
      registers,
    }),
    adapterSkipped: new Counter({
      name: 'agentwatch_adapter_skipped_total',
      help: 'Source records deliberately not mapped (e.g. OTLP spans that are not tool calls)',
      labelNames: ['source'],
      registers,
    }),
    httpRequests: new Counter({
      name: 'agentwatch_http_requests_total',
      help: 'HTTP requests answered, by route pattern and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    }),
  };
}
