import { durationToMs, type ExporterConfig } from '@agentwatch/schemas';
import type { Origin } from '../formats/delivery.ts';
import { createHecTransport } from './hec.ts';
import { createKafkaTransport, type KafkaTransportOptions } from './kafka.ts';
import { createOcsfFileTransport, createOcsfHttpTransport, type EventsOf } from './ocsf.ts';
import { createSyslogTransport } from './syslog.ts';
import type { Transport, TransportTls } from './transport.ts';
import { createWebhookTransport } from './webhook.ts';

/** What a transport needs besides its config entry, resolved by the caller at start-up. */
export interface TransportDeps {
  origin: Origin;
  /** The HEC token or the webhook secret (read from its file or env variable). */
  secret?: string;
  tls?: TransportTls;
  /** The events behind an alert, for OCSF evidences (the store's events by id). */
  eventsOf?: EventsOf;
  /** A producer for a kafka exporter (its owner connects it). */
  kafkaProducer?: (c: Extract<ExporterConfig, { type: 'kafka' }>) => KafkaTransportOptions['producer'];
  /** The codec of the records a kafka exporter produces (`kafka_compression`, mapped by the caller). */
  kafkaCompression?: KafkaTransportOptions['compression'];
}

/** The transport of one configured exporter (exporters.md types). */
export function buildTransport(c: ExporterConfig, deps: TransportDeps): Transport {
  const timeoutMs = durationToMs(c.timeout);
  const tls = deps.tls ? { tls: deps.tls } : {};
  const need = (what: string): string => {
    if (deps.secret === undefined) throw new RangeError(`exporter ${c.name}: no ${what} resolved`);
    return deps.secret;
  };
  switch (c.type) {
    case 'hec':
      return createHecTransport({ url: c.url, token: need('HEC token'), origin: deps.origin, timeoutMs, ...(c.index ? { index: c.index } : {}), ...tls });
    case 'webhook':
      return createWebhookTransport({ url: c.url, secret: need('webhook secret'), timeoutMs, ...tls });
    case 'syslog':
      return createSyslogTransport({ address: c.address, origin: deps.origin, timeoutMs, ...tls });
    case 'ocsf': {
      const events = deps.eventsOf ? { eventsOf: deps.eventsOf } : {};
      if (c.path !== undefined) return createOcsfFileTransport({ path: c.path, origin: deps.origin, ...events });
      return createOcsfHttpTransport({ url: c.url as string, origin: deps.origin, timeoutMs, ...events, ...tls });
    }
    case 'kafka': {
      if (!deps.kafkaProducer) throw new RangeError(`exporter ${c.name}: no Kafka producer`);
      return createKafkaTransport({
        producer: deps.kafkaProducer(c),
        topic: c.topic,
        ...(deps.kafkaCompression !== undefined ? { compression: deps.kafkaCompression } : {}),
      });
    }
  }
}
