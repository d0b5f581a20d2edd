import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

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

/** What the pipeline gauges show, read at each scrape (the collector side keeps it current). */
export interface PipelineGaugeSnapshot {
  /** Kafka mode only: where `up` stands with the broker (KafkaConnectionState's phase). */
  kafka?: { phase: string; phases: readonly string[] };
  /** Per assigned partition of the events topic; lag values are null until the end offsets were read once. */
  partitions: Array<{ topic: string; partition: number; endOffset: number | null; lag: number | null; committedLag: number | null }>;
  /** Age of the last saved checkpoint, per partition (Kafka) or `http` (in-process); null before the first. */
  checkpoints: Array<{ partition: string; ageSeconds: number | null }>;
}

/**
 * Gauges for consumer lag, backlog, checkpoint age and the Kafka connection, computed from `read()` at each scrape
 * (never blocking on the broker: `read` returns what was last learned).
 */
export function registerPipelineGauges(metrics: ApiMetrics, read: () => PipelineGaugeSnapshot): void {
  const registers = [metrics.registry];
  new Gauge({
    name: 'agentwatch_kafka_consumer_lag_messages',
    help: 'Messages of an assigned partition not processed yet (end offset minus the next offset to process)',
    labelNames: ['topic', 'partition'],
    registers,
    collect() {
      this.reset();
      for (const p of read().partitions) if (p.lag !== null) this.set({ topic: p.topic, partition: String(p.partition) }, p.lag);
    },
  });
  new Gauge({
    name: 'agentwatch_kafka_end_offset',
    help: 'End offset (high watermark) of an assigned partition, as last read (every 5 s)',
    labelNames: ['topic', 'partition'],
    registers,
    collect() {
      this.reset();
      for (const p of read().partitions) if (p.endOffset !== null) this.set({ topic: p.topic, partition: String(p.partition) }, p.endOffset);
    },
  });
  new Gauge({
    name: 'agentwatch_kafka_committed_lag_messages',
    help: 'Messages of an assigned partition after its last saved checkpoint (end offset minus the committed offset): what a restart re-reads',
    labelNames: ['topic', 'partition'],
    registers,
    collect() {
      this.reset();
      for (const p of read().partitions) if (p.committedLag !== null) this.set({ topic: p.topic, partition: String(p.partition) }, p.committedLag);
    },
  });
  new Gauge({
    name: 'agentwatch_kafka_backlog_messages',
    help: 'Messages not processed yet, summed over the assigned partitions',
    labelNames: ['topic'],
    registers,
    collect() {
      this.reset();
      const sums = new Map<string, number>();
      for (const p of read().partitions) if (p.lag !== null) sums.set(p.topic, (sums.get(p.topic) ?? 0) + p.lag);
      for (const [topic, n] of sums) this.set({ topic }, n);
    },
  });
  new Gauge({
    name: 'agentwatch_checkpoint_age_seconds',
    help: 'Seconds since the last saved checkpoint, per partition (Kafka) or "http" (in-process)',
    labelNames: ['partition'],
    registers,
    collect() {
      this.reset();
      for (const c of read().checkpoints) if (c.ageSeconds !== null) this.set({ partition: c.partition }, c.ageSeconds);
    },
  });
  new Gauge({
    name: 'agentwatch_kafka_connection_state',
    help: 'Kafka connection phase of this process: 1 for the current one (starting, waiting, connected, stopping)',
    labelNames: ['state'],
    registers,
    collect() {
      this.reset();
      const k = read().kafka;
      if (k) for (const phase of k.phases) this.set({ state: phase }, phase === k.phase ? 1 : 0);
    },
  });
}
