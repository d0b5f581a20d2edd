import { CompressionTypes, type Message, type Producer } from 'kafkajs';
import { deliveryId } from '../formats/delivery.ts';
import { DeliveryError, type ExportItem, type Transport } from './transport.ts';

/** Header with `<alert_id>:<version>`, the key a consumer drops repeats on. */
export const DELIVERY_ID_HEADER = 'agentwatch-delivery-id';
/** Header with the version's activity: created, updated or closed. */
export const ACTIVITY_HEADER = 'agentwatch-activity';

export interface KafkaTransportOptions {
  /** A connected producer; its owner (`agentwatch up`) connects and disconnects it, close() leaves it alone. */
  producer: Pick<Producer, 'send'>;
  topic: string;
  /** Codec of the produced batches (the config's kafka_compression, mapped by the caller); none by default. */
  compression?: CompressionTypes;
}

/**
 * Broker errors that sending the same records again cannot fix (kafkajs marks them non-retriable): a record or
 * batch the broker refuses, a topic that cannot exist, a topic the client may not write.
 */
const PERMANENT = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'INVALID_TOPIC_EXCEPTION', 'TOPIC_AUTHORIZATION_FAILED']);

/** The Kafka error type somewhere in an error's cause chain that makes it permanent, if any. */
function permanentType(e: unknown): string | undefined {
  for (let err = e as { type?: unknown; cause?: unknown } | undefined, depth = 0; err && depth < 8; err = err.cause as typeof err, depth++) {
    if (typeof err.type === 'string' && PERMANENT.has(err.type)) return err.type;
  }
  return undefined;
}

/**
 * The alerts topic as an exporter: each alert version one record, key = alert_id (so one alert's versions share a
 * partition and keep their order), value = the alert JSON (the shape the collector has always published), headers
 * with the delivery id and activity; acks from all in-sync replicas. A batch the broker refuses as a whole for a
 * permanent reason is resent one record at a time so only the bad record fails.
 */
export function createKafkaTransport(opts: KafkaTransportOptions): Transport {
  const compression = opts.compression ?? CompressionTypes.None;
  const record = ({ alert, delivery }: ExportItem): Message => ({
    key: alert.alert_id,
    value: JSON.stringify(alert),
    headers: { [DELIVERY_ID_HEADER]: deliveryId(alert.alert_id, delivery.version), [ACTIVITY_HEADER]: delivery.activity },
  });
  const produce = async (messages: Message[]): Promise<void> => {
    await opts.producer.send({ topic: opts.topic, acks: -1, compression, messages });
  };
  const failure = (e: unknown, delivered: number): DeliveryError => {
    const type = permanentType(e);
    const msg = `kafka topic ${opts.topic}: ${(e as Error).message ?? String(e)}`;
    return new DeliveryError(msg, { permanent: type !== undefined, delivered });
  };

  return {
    async send(items: readonly ExportItem[]): Promise<void> {
      if (items.length === 0) return;
      const messages = items.map(record);
      try {
        await produce(messages);
        return;
      } catch (e) {
        if (permanentType(e) === undefined || items.length === 1) throw failure(e, 0);
      }
      // Find the record the broker refuses: the ones before it go (again, at least once; the header id dedups).
      for (const [i, m] of messages.entries()) {
        try {
          await produce([m]);
        } catch (e) {
          throw failure(e, i);
        }
      }
    },
    close: async () => {},
  };
}
