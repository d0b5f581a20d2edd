import { CompressionTypes, KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, type ProducerRecord } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { ACTIVITY_HEADER, createKafkaTransport, DELIVERY_ID_HEADER } from '../src/transports/kafka.ts';
import { DeliveryError, type ExportItem } from '../src/transports/transport.ts';
import { baseAlert, delivery } from './fixtures.ts';

// The record shape and the error classification with a recording producer; the real broker's side is in
// test/export-kafka.kafka.test.ts.
const items = (n: number): ExportItem[] =>
  Array.from({ length: n }, (_, i) => ({
    alert: baseAlert({ alert_id: `alert-${i}` }),
    delivery: delivery({ version: i + 1, activity: i === 0 ? 'created' : 'updated' }),
  }));

function producer(fail: (r: ProducerRecord, n: number) => Error | undefined = () => undefined) {
  const sent: ProducerRecord[] = [];
  return {
    sent,
    send: async (r: ProducerRecord) => {
      const e = fail(r, sent.length + 1);
      sent.push(r);
      if (e) throw e;
      return [];
    },
  };
}
const protocolError = (type: string, retriable: boolean) => new KafkaJSProtocolError({ type, code: 0, retriable, message: type } as unknown as Error);
async function failure(p: Promise<unknown>): Promise<DeliveryError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DeliveryError);
  return e as DeliveryError;
}

describe('Kafka transport records', () => {
  it('one record per version: key alert_id, value the alert JSON, delivery id and activity headers, acks -1', async () => {
    const p = producer();
    await createKafkaTransport({ producer: p, topic: 'agentwatch.alerts', compression: CompressionTypes.GZIP }).send(items(2));
    expect(p.sent).toHaveLength(1);
    const [r] = p.sent;
    expect(r).toMatchObject({ topic: 'agentwatch.alerts', acks: -1, compression: CompressionTypes.GZIP });
    expect(r?.messages.map((m) => [m.key, JSON.parse(String(m.value)), m.headers])).toEqual([
      ['alert-0', items(2)[0]?.alert, { [DELIVERY_ID_HEADER]: 'alert-0:1', [ACTIVITY_HEADER]: 'created' }],
      ['alert-1', items(2)[1]?.alert, { [DELIVERY_ID_HEADER]: 'alert-1:2', [ACTIVITY_HEADER]: 'updated' }],
    ]);
  });

  it('a broker that cannot be reached is transient, even after kafkajs gave up retrying', async () => {
    const down = new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED'), { retryCount: 5, retryTime: 100 });
    const e = await failure(createKafkaTransport({ producer: producer(() => down), topic: 't' }).send(items(3)));
    expect(e).toMatchObject({ permanent: false, delivered: 0 });
    expect(e.message).toContain('ECONNREFUSED');
  });

  it('a record the broker refuses (MESSAGE_TOO_LARGE) fails alone: the batch is resent one by one', async () => {
    const p = producer((r) => (r.messages.some((m) => m.key === 'alert-2') ? protocolError('MESSAGE_TOO_LARGE', false) : undefined));
    const e = await failure(createKafkaTransport({ producer: p, topic: 't' }).send(items(4)));
    expect(e).toMatchObject({ permanent: true, delivered: 2 });
    expect(p.sent.map((r) => r.messages.map((m) => m.key))).toEqual([['alert-0', 'alert-1', 'alert-2', 'alert-3'], ['alert-0'], ['alert-1'], ['alert-2']]);
  });

  it('a retriable protocol error is transient and not resent one by one', async () => {
    const p = producer(() => protocolError('NOT_ENOUGH_REPLICAS', true));
    expect(await failure(createKafkaTransport({ producer: p, topic: 't' }).send(items(3)))).toMatchObject({ permanent: false, delivered: 0 });
    expect(p.sent).toHaveLength(1);
  });
});
