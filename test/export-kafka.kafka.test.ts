// The kafka exporter against the real broker (issue 16): a simulated fleet's alert versions produced by the Kafka
// transport through a connected kafkajs producer, read back by a consumer: every version once, each alert's versions
// in one partition and in order, key = alert_id, value = the alert JSON, the delivery id and activity headers. A
// record over the topic's max.message.bytes fails alone, permanently, after the records before it.
import { randomUUID } from 'node:crypto';
import { ACTIVITY_HEADER, createKafkaTransport, DELIVERY_ID_HEADER, DeliveryError, type ExportItem } from '@agentwatch/exporters';
import { Kafka, type KafkaMessage, logLevel, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetAlertVersions, idOf } from './support/fleet-alert-versions.ts';
import { kafkaBrokersOrFail } from './support/kafka-suite.ts';
import { tempDir } from './support/temp-dir.ts';

const brokers = kafkaBrokersOrFail('kafka exporter');
const PARTITIONS = 3;
const BATCH = 16;

interface Read {
  partition: number;
  message: KafkaMessage;
}

describe.skipIf(brokers.length === 0)('kafka exporter on the real broker', () => {
  const run = randomUUID().slice(0, 8);
  const kafka = new Kafka({ clientId: `aw-export-kafka-${run}`, brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const topics: string[] = [];
  let producer: Producer;
  let items: ExportItem[];

  beforeAll(async () => {
    items = await fleetAlertVersions({ agents: 20, days: 6, seed: 7, exporter: 'kafka', dir: tempDir('aw-export-kafka-') });
    await admin.connect();
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
  }, 120_000);

  afterAll(async () => {
    await producer?.disconnect();
    await admin.deleteTopics({ topics }).catch(() => {});
    await admin.disconnect();
  });

  async function topic(name: string, configEntries: Array<{ name: string; value: string }> = []): Promise<string> {
    const t = `aw-export-${name}-${run}`;
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: t, numPartitions: PARTITIONS, replicationFactor: 1, configEntries }] });
    topics.push(t);
    return t;
  }

  /** Every record of the topic, read from the beginning until `count` arrived (or the deadline). */
  async function readAll(t: string, count: number): Promise<Read[]> {
    const consumer = kafka.consumer({ groupId: `aw-export-read-${run}-${t}` });
    const out: Read[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: t, fromBeginning: true });
      let done: () => void = () => {};
      const all = new Promise<void>((resolve) => {
        done = resolve;
      });
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          out.push({ partition, message });
          if (out.length >= count) done();
        },
      });
      await Promise.race([all, new Promise((resolve) => setTimeout(resolve, 60_000))]);
      // A moment for any record beyond `count` (a repeat) to show up too.
      await new Promise((resolve) => setTimeout(resolve, 1000));
    } finally {
      await consumer.disconnect();
    }
    return out;
  }

  it('every alert version once, per alert in one partition and in version order, with the delivery headers', async () => {
    const t = await topic('alerts');
    const transport = createKafkaTransport({ producer, topic: t });
    for (let i = 0; i < items.length; i += BATCH) await transport.send(items.slice(i, i + BATCH));
    await transport.close();

    const read = await readAll(t, items.length);
    const ids = read.map((r) => String(r.message.headers?.[DELIVERY_ID_HEADER]));
    expect(ids.length).toBe(items.length);
    expect(new Set(ids)).toEqual(new Set(items.map(idOf)));

    const byId = new Map(items.map((i) => [idOf(i), i]));
    const partitionOf = new Map<string, number>();
    const lastVersion = new Map<string, number>();
    for (const { partition, message } of read) {
      const id = String(message.headers?.[DELIVERY_ID_HEADER]);
      const item = byId.get(id) as ExportItem;
      expect(String(message.key)).toBe(item.alert.alert_id);
      expect(JSON.parse(String(message.value))).toEqual(item.alert);
      expect(String(message.headers?.[ACTIVITY_HEADER])).toBe(item.delivery.activity);
      const alertId = item.alert.alert_id;
      expect(partitionOf.get(alertId) ?? partition, alertId).toBe(partition);
      partitionOf.set(alertId, partition);
      expect(item.delivery.version, id).toBe((lastVersion.get(alertId) ?? 0) + 1);
      lastVersion.set(alertId, item.delivery.version);
    }
  });

  it('a record over the topic limit fails alone and permanently, after the records before it', async () => {
    const t = await topic('small', [{ name: 'max.message.bytes', value: '20000' }]);
    const batch = items.slice(0, 5).map((i, n) => (n === 3 ? { ...i, alert: { ...i.alert, summary: 'x'.repeat(50_000) } } : i));
    const transport = createKafkaTransport({ producer, topic: t });
    const e = await transport.send(batch).then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(DeliveryError);
    expect(e).toMatchObject({ permanent: true, delivered: 3 });
    const read = await readAll(t, 3);
    expect(new Set(read.map((r) => String(r.message.headers?.[DELIVERY_ID_HEADER])))).toEqual(new Set(batch.slice(0, 3).map(idOf)));
  });
});
