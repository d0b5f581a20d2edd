import { hostname } from 'node:os';
import { KAFKA_COMPRESSION } from '@agentwatch/collector';
import { buildTransport, ExporterSet, type ExporterStatus } from '@agentwatch/exporters';
import { type AgentwatchConfig, durationToMs, type ExporterConfig } from '@agentwatch/schemas';
import type { Store } from '@agentwatch/store';
import type { KafkaConfig } from 'kafkajs';
import { type ExportKafkaProducer, exportKafkaProducer } from './export-kafka-producer.ts';
import type { ExporterSecrets } from './exporter-secrets.ts';

/** The agentwatch version the exporters name (CEF device version, OCSF product version). */
export const PRODUCT_VERSION = '0.1.0';

/** What `up` keeps of its exporters: the set (status for the API and metrics) and how to stop it. */
export interface RunningExporters {
  status(): Promise<ExporterStatus[]>;
  stop(): Promise<void>;
}

/**
 * Starts the configured exporters over the store's outbox (before alerts flow, so a new exporter's cursor is set
 * first). A kafka exporter gets a producer of its own, connected on its first send: to `brokers` when given, else to
 * `kafka_brokers` with the same TLS/SASL options as ingest (`kafkaOptions`).
 */
export async function startExporters(opts: {
  config: AgentwatchConfig;
  store: Store;
  secrets: ReadonlyMap<string, ExporterSecrets>;
  kafkaOptions: Pick<KafkaConfig, 'ssl' | 'sasl'>;
  log: { info(o: object, m: string): void; warn(o: object, m: string): void; error(o: object, m: string): void };
}): Promise<RunningExporters> {
  const { config, store, log } = opts;
  const origin = { productVersion: PRODUCT_VERSION, hostname: hostname() };
  const producers: ExportKafkaProducer[] = [];
  const kafkaProducer = (c: Extract<ExporterConfig, { type: 'kafka' }>) => {
    const brokers = c.brokers ?? config.kafka_brokers;
    if (!brokers || brokers.length === 0) throw new Error(`exporter ${c.name}: no brokers (set brokers, or kafka_brokers)`);
    const tls = opts.secrets.get(c.name)?.tls;
    const security: Pick<KafkaConfig, 'ssl' | 'sasl'> = c.brokers ? (tls ? { ssl: tls } : {}) : opts.kafkaOptions;
    const producer = exportKafkaProducer({ name: c.name, brokers, security, timeoutMs: durationToMs(c.timeout) });
    producers.push(producer);
    return producer;
  };
  for (const c of config.exporters)
    if (!c.tls_reject_unauthorized) log.warn({ exporter: c.name }, 'exporter: receiver certificate checks are OFF (tls_reject_unauthorized: false)');
  const set = await ExporterSet.start({
    exporters: config.exporters,
    outbox: store.outbox,
    transport: (c) => {
      const s = opts.secrets.get(c.name) ?? {};
      return buildTransport(c, {
        origin,
        ...(s.secret !== undefined ? { secret: s.secret } : {}),
        ...(s.tls ? { tls: s.tls } : {}),
        eventsOf: (alert) => store.triage.eventsById(alert.evidence.event_ids ?? [], alert.agent_id, 25),
        kafkaProducer,
        kafkaCompression: KAFKA_COMPRESSION[config.kafka_compression],
      });
    },
    log,
  });
  if (set.size > 0) log.info({ exporters: config.exporters.map((c) => `${c.name} (${c.type})`), writer: store.outbox.writer }, 'exporters started');
  return {
    status: () => set.status(),
    stop: async () => {
      await set.stop();
      await Promise.all(producers.map((p) => p.disconnect().catch(() => undefined)));
    },
  };
}
