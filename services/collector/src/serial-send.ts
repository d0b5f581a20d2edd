import type { Producer, ProducerRecord, RecordMetadata } from 'kafkajs';

/**
 * One send at a time through an idempotent producer: kafkajs assigns sequence numbers per send, and overlapping
 * sends (a batch's alerts, a timer's checkpoint, a progress report, a late token fact's alerts) can reach the
 * broker out of order, which it refuses with OUT_OF_ORDER_SEQUENCE_NUMBER, a non-retriable error that stops the
 * consumer. Sends queue behind each other; a failed one does not block the next.
 */
export function serialSend(producer: Producer): (record: ProducerRecord) => Promise<RecordMetadata[]> {
  let chain: Promise<unknown> = Promise.resolve();
  return (record) => {
    const next = chain.then(() => producer.send(record));
    chain = next.catch(() => undefined);
    return next;
  };
}
