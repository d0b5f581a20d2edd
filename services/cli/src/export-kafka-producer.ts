import { Kafka, type KafkaConfig, logLevel, type Producer } from 'kafkajs';

/** A kafka exporter's producer: `send` connects on first use (and again after a failed connect). */
export interface ExportKafkaProducer {
  send(record: Parameters<Producer['send']>[0]): ReturnType<Producer['send']>;
  disconnect(): Promise<void>;
}

/**
 * The producer a kafka exporter sends through. Each send is ONE attempt bounded by the exporter's `timeout`
 * (connection and request): the outbox owns retries, with its backoff, its order and its `retrying` state.
 * kafkajs' own retries (5 by default, nested in metadata refresh and connect) would hold one send for ~20 s with the
 * broker down, whatever `timeout` says, and keep the exporter shown as `delivering` meanwhile.
 */
export function exportKafkaProducer(opts: {
  name: string;
  brokers: string[];
  security: Pick<KafkaConfig, 'ssl' | 'sasl'>;
  timeoutMs: number;
}): ExportKafkaProducer {
  const producer = new Kafka({
    clientId: `agentwatch-export-${opts.name}`,
    brokers: opts.brokers,
    ...opts.security,
    connectionTimeout: opts.timeoutMs,
    requestTimeout: opts.timeoutMs,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  }).producer({ allowAutoTopicCreation: true, idempotent: false, retry: { retries: 0 } });
  let connected: Promise<void> | null = null;
  return {
    send: async (record) => {
      connected ??= producer.connect().catch((err: unknown) => {
        connected = null;
        throw err;
      });
      await connected;
      return producer.send(record);
    },
    disconnect: () => producer.disconnect(),
  };
}
