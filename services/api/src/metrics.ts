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
    httpRequests: new Counter({
      name: 'agentwatch_http_requests_total',
      help: 'HTTP requests answered, by route pattern and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    }),
  };
}
