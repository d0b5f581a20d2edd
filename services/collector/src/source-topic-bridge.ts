import {
  type AdapterFormat,
  type AdapterOptionsByFormat,
  type AdapterResult,
  createAdapter,
  decodeOtlpTraceProtobuf,
  isObject,
  type RecordAdapter,
  valueAtPath,
} from '@agentwatch/adapters';
import { MAX_EVENT_BYTES } from '@agentwatch/schemas';
import type { Consumer, ConsumerConfig, EachBatchPayload, Kafka, KafkaMessage, Message, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { superviseConsumer } from './consumer-supervisor.ts';
import { DLQ_MAX_VALUE_BYTES, type DlqOrigin, dlqMessage } from './dlq.ts';
// Importing kafka-codecs.ts registers every codec (any producer's batches are read).
import { type KafkaCompression, STOP_ON_UNDECODABLE, undecodableBatch, undecodableBatchLine } from './kafka-codecs.ts';
import { DEFAULT_DLQ_TOPIC, DEFAULT_EVENTS_TOPIC, DEFAULT_GROUP_ID } from './kafka-collector.ts';
import { kafkaErrorFields } from './kafka-errors.ts';
import { sendChunked } from './send-chunked.ts';

/** Consumer group of the bridge by default: the collector's group with `.sources` appended. */
export const DEFAULT_SOURCES_GROUP_ID = `${DEFAULT_GROUP_ID}.sources`;
/** Largest raw message mapped (a CloudTrail file can be several MiB); larger ones go to the DLQ, cut. */
const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export interface SourceTopicBridgeOptions {
  /** A kafkajs client (the caller owns its brokers, SASL/TLS and log settings). */
  kafka: Kafka;
  logger: Logger;
  /** Raw topics to read, each with the source format of its records (config `source_topics`). */
  sources: Record<string, AdapterFormat>;
  /** Per-format adapter options (config `adapters:`), already validated. */
  adapters?: AdapterOptionsByFormat;
  /** Where canonical events go (keyed by agent_id); the collector reads them from there. */
  eventsTopic?: string;
  /** Where records that cannot be mapped go, with the reason and their source in headers. */
  dlqTopic?: string;
  groupId?: string;
  /** Largest message value mapped (default 16 MiB). */
  maxMessageBytes?: number;
  /** Codec of the events and DLQ entries it produces (config `kafka_compression`; default gzip). */
  compression?: KafkaCompression;
  /** Extra kafkajs consumer settings (sessionTimeout, maxBytesPerPartition, ...); groupId is the bridge's. */
  consumerConfig?: Partial<Omit<ConsumerConfig, 'groupId'>>;
  /** Called once when consumption stopped for good (kafkajs gave up restarting). Default: log only. */
  onFatal?: (error: Error) => void;
  /** Per batch and topic: canonical events made, records rejected (sent to the DLQ), records skipped on purpose. */
  onCounts?: (topic: string, counts: { events: number; rejected: number; skipped: number }) => void;
}

export interface SourceBridgeStats {
  batches: number;
  messages: number;
  records: number;
  events: number;
  /** Records (or whole messages) sent to the DLQ. */
  rejected: number;
  skipped: number;
}

/** One record of a message: the decoded value (undefined when it did not decode) and its place in the message. */
interface MessageRecord {
  value: unknown;
  /** 0-based position when the message held several records (array, `Records`, NDJSON lines). */
  index?: number;
  /** Why it did not decode. */
  error?: string;
  /** The text to keep in the DLQ when it did not decode. */
  raw?: string;
}

/**
 * Reads raw source topics (config `source_topics`: topic -> format), maps each record with that format's adapter and
 * produces the canonical events to the events topic (keyed by agent_id), where the KafkaCollector reads them like
 * any other event. A record the adapter rejects, or a message that does not decode, goes to the DLQ topic with the
 * reason (`x-agentwatch-error`), the format, and the source topic/partition/offset (plus record index and path).
 *
 * A message holds one record, a JSON array of records, a CloudTrail `{"Records": [...]}` file, NDJSON lines, or
 * (for `otlp`) one OTLP/JSON or OTLP/protobuf export with many spans.
 *
 * One adapter per topic-partition: adapters that pair records (an MCP request with its response, a Vault request
 * line with its response line) only see records of one partition, so the records of one session must share a
 * partition (key them by session or agent). Delivery is at-least-once: a batch's offset is committed only after its
 * events and DLQ entries are acknowledged (acks=all). A batch re-read after a failure or restart yields the same
 * event ids (adapters derive them from the source's own ids), so storage keeps one row per event and no second
 * alert is opened. Pairing state is in memory and per partition: on a graceful stop what is still held is flushed
 * (see {@link flushHeld}); when a partition moves to another member, or the process dies, a request whose response
 * comes later is not paired again (an MCP response is then rejected to the DLQ as having no request).
 */
export class SourceTopicBridge {
  private readonly opts: SourceTopicBridgeOptions & { eventsTopic: string; dlqTopic: string; groupId: string; maxMessageBytes: number };
  private readonly log: Logger;
  private consumer: Consumer | null = null;
  private producer: Producer | null = null;
  /** `topic:partition` -> its adapter (with its pairing state). */
  private readonly adapters = new Map<string, RecordAdapter>();
  private readonly counters: SourceBridgeStats = { batches: 0, messages: 0, records: 0, events: 0, rejected: 0, skipped: 0 };
  private crashed: Error | null = null;

  constructor(opts: SourceTopicBridgeOptions) {
    this.opts = {
      eventsTopic: DEFAULT_EVENTS_TOPIC,
      dlqTopic: DEFAULT_DLQ_TOPIC,
      groupId: DEFAULT_SOURCES_GROUP_ID,
      maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
      ...opts,
    };
    this.log = opts.logger.child({ component: 'source-topics' });
    for (const [topic, format] of Object.entries(opts.sources)) {
      if (topic === this.opts.eventsTopic || topic === this.opts.dlqTopic)
        throw new Error(`source topic ${topic} (${format}) is the events or DLQ topic: its own output would be read again`);
      // Invalid options fail here, at start-up, not on the first record.
      createAdapter(format, opts.adapters?.[format] ?? {});
    }
  }

  stats(): SourceBridgeStats {
    return { ...this.counters };
  }

  /** The error that stopped consumption, if any (kafkajs gave up restarting). */
  get error(): Error | null {
    return this.crashed;
  }

  /** Checks the source topics exist, joins the group and starts consuming. Throws naming any missing topic. */
  async start(): Promise<void> {
    const { kafka, groupId } = this.opts;
    const topics = Object.keys(this.opts.sources);
    if (topics.length === 0) return;
    const admin = kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t));
      if (missing.length > 0)
        throw new Error(`source topic${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not found on the brokers (create them first)`);
    } finally {
      await admin.disconnect();
    }
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await this.producer.connect();
    // A batch that does not decompress fails every fetch of its partition: stop (documented) instead of restarting forever.
    const consumer = kafka.consumer({ allowAutoTopicCreation: false, retry: STOP_ON_UNDECODABLE, ...this.opts.consumerConfig, groupId });
    this.consumer = consumer;
    const run = () =>
      consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: (payload) => this.handleBatch(payload),
      });
    // A crash for a broker condition restarts the run loop (one line, no stack); any other stops the bridge.
    superviseConsumer(consumer, {
      log: this.log,
      what: 'source consumer',
      stopping: () => this.consumer !== consumer,
      run,
      onFatal: (err) => {
        const bad = undecodableBatch(err);
        if (bad)
          this.log.error({ topic: bad.topic, partition: bad.partition, firstOffset: bad.firstOffset, lastOffset: bad.lastOffset }, undecodableBatchLine(bad));
        this.crashed = err;
        this.opts.onFatal?.(err);
      },
    });
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      // Adapters of partitions this member no longer holds are dropped (their next owner starts fresh).
      for (const key of [...this.adapters.keys()]) {
        const at = key.lastIndexOf(':');
        const assigned = e.payload.memberAssignment[key.slice(0, at)] ?? [];
        if (!assigned.includes(Number(key.slice(at + 1)))) this.adapters.delete(key);
      }
      this.log.info({ groupId, assignment: e.payload.memberAssignment }, 'source partitions assigned');
    });
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await run();
    this.log.info({ groupId, sources: this.opts.sources, eventsTopic: this.opts.eventsTopic }, 'reading source topics');
  }

  /** Graceful stop: the batch in flight finishes (produced and committed). Held records are not flushed (see the class note). */
  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = null;
    if (consumer) await consumer.stop();
    await this.flushHeld().catch((err: unknown) => this.log.error({ err }, 'held records could not be produced at stop'));
    if (consumer) await consumer.disconnect();
    const producer = this.producer;
    this.producer = null;
    if (producer) await producer.disconnect();
    this.log.info(this.counters, 'source topics stopped');
  }

  /**
   * Graceful stop: what the adapters still hold (a Vault request whose response has not come, an MCP call not yet
   * answered) is flushed and produced, so it is not lost with this process: a Vault request maps to the event its
   * response would give (same event id); an MCP call becomes an unanswered failure, and a response read after the
   * restart is rejected to the DLQ as having no request.
   */
  private async flushHeld(): Promise<void> {
    if (!this.producer) return;
    const events: Message[] = [];
    const dlq: Message[] = [];
    const counts = { events: 0, rejected: 0, skipped: 0, records: 0 };
    for (const [key, adapter] of this.adapters) {
      const at = key.lastIndexOf(':');
      const format = adapter.format;
      const headers = { 'x-agentwatch-format': format, 'x-agentwatch-note': 'held by the adapter until the bridge stopped' };
      collect(
        adapter.flush(),
        { format, origin: { source: `topic:${key.slice(0, at)}/${key.slice(at + 1)}` }, headers, key: null, record: null },
        events,
        dlq,
        counts,
      );
    }
    this.adapters.clear();
    await this.send(this.opts.dlqTopic, dlq);
    await this.send(this.opts.eventsTopic, events);
    this.counters.events += counts.events;
    this.counters.rejected += counts.rejected;
    if (counts.events + counts.rejected > 0) this.log.info(counts, 'held records flushed at stop');
  }

  private adapterFor(topic: string, partition: number, format: AdapterFormat): RecordAdapter {
    const key = `${topic}:${partition}`;
    let adapter = this.adapters.get(key);
    if (!adapter) {
      adapter = createAdapter(format, this.opts.adapters?.[format] ?? {});
      this.adapters.set(key, adapter);
    }
    return adapter;
  }

  private async handleBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0 || !isRunning() || isStale()) return;
    const { topic, partition } = batch;
    const format = this.opts.sources[topic];
    if (format === undefined) return; // not subscribed (cannot happen)
    const adapter = this.adapterFor(topic, partition, format);
    const events: Message[] = [];
    const dlq: Message[] = [];
    const counts = { events: 0, rejected: 0, skipped: 0, records: 0 };
    for (const m of batch.messages) this.mapMessage(m, topic, partition, format, adapter, events, dlq, counts);
    try {
      // DLQ first: a rejected record is durable somewhere before its offset can be committed.
      await this.send(this.opts.dlqTopic, dlq);
      await this.send(this.opts.eventsTopic, events);
    } catch (e) {
      // The adapter has seen these records (its pairing state moved on): start it afresh from the committed offset.
      this.adapters.delete(`${topic}:${partition}`);
      throw e;
    }
    const last = (batch.messages[batch.messages.length - 1] as KafkaMessage).offset;
    resolveOffset(last);
    await this.consumer?.commitOffsets([{ topic, partition, offset: (BigInt(last) + 1n).toString() }]);
    await heartbeat().catch((err: unknown) => this.log.warn(kafkaErrorFields(err), 'heartbeat failed'));
    this.counters.batches++;
    this.counters.messages += batch.messages.length;
    this.counters.records += counts.records;
    this.counters.events += counts.events;
    this.counters.rejected += counts.rejected;
    this.counters.skipped += counts.skipped;
    this.opts.onCounts?.(topic, { events: counts.events, rejected: counts.rejected, skipped: counts.skipped });
    this.log.debug({ topic, partition, first: batch.messages[0]?.offset, last, ...counts }, 'source batch done');
  }

  /** One message: decode its records, map each, collect events and DLQ entries. Never throws. */
  private mapMessage(
    m: KafkaMessage,
    topic: string,
    partition: number,
    format: AdapterFormat,
    adapter: RecordAdapter,
    events: Message[],
    dlq: Message[],
    counts: { events: number; rejected: number; skipped: number; records: number },
  ): void {
    const origin = { topic, partition, offset: m.offset };
    const whole = (reason: string) => {
      counts.rejected++;
      // Cut beyond 64 KiB (the whole message stays in its topic, at the offset the headers name).
      dlq.push(dlqMessage({ key: m.key, value: m.value, reason, origin, truncateAbove: DLQ_MAX_VALUE_BYTES, headers: { 'x-agentwatch-format': format } }));
    };
    const value = m.value;
    if (value === null || value.length === 0) {
      whole('empty message (no value)');
      return;
    }
    if (value.length > this.opts.maxMessageBytes) {
      whole(`message of ${value.length} bytes is larger than ${this.opts.maxMessageBytes} bytes`);
      return;
    }
    const records = decodeRecords(value, format);
    if ('error' in records) {
      whole(records.error);
      return;
    }
    const several = records.length > 1;
    for (const r of records) {
      counts.records++;
      const headers: Record<string, string> = { 'x-agentwatch-format': format };
      if (several && r.index !== undefined) headers['x-agentwatch-record-index'] = String(r.index);
      if (r.error !== undefined) {
        counts.rejected++;
        dlq.push(dlqMessage({ key: m.key, value: r.raw ?? '', reason: r.error, origin, headers, truncateAbove: DLQ_MAX_VALUE_BYTES }));
        continue;
      }
      let result: AdapterResult;
      try {
        result = adapter.map(r.value);
      } catch (e) {
        // Adapters never throw on input (their contract); a bug still must not stop the partition.
        result = { events: [], rejects: [{ reason: `adapter failed: ${e instanceof Error ? e.message : String(e)}` }], skipped: 0 };
      }
      collect(result, { format, origin, headers, key: m.key, record: r.value, timestamp: m.timestamp }, events, dlq, counts);
    }
  }

  private async send(topic: string, messages: Message[]): Promise<void> {
    if (!this.producer) throw new Error('source topic bridge is not started');
    await sendChunked(this.producer, topic, messages, this.opts.compression ? { compression: this.opts.compression } : {});
  }
}

/** Appends an adapter result: events keyed by agent_id, each reject as a DLQ message holding the part it is about. */
function collect(
  result: AdapterResult,
  at: {
    format: AdapterFormat;
    origin: DlqOrigin;
    headers: Record<string, string>;
    key: Buffer | null;
    record: unknown;
    /** The source message's timestamp: the events' arrival, against which the collector judges their times. */
    timestamp?: string;
  },
  events: Message[],
  dlq: Message[],
  counts: { events: number; rejected: number; skipped: number },
): void {
  for (const event of result.events) {
    const value = JSON.stringify(event);
    // The same per-event limit as every other way in: an event the collector would refuse (and that could exceed
    // the broker's message size, stalling this partition) goes to the DLQ instead, cut, with the reason.
    if (Buffer.byteLength(value) > MAX_EVENT_BYTES) {
      counts.rejected++;
      const reason = `${at.format}: event ${event.event_id} of ${Buffer.byteLength(value)} bytes is larger than ${MAX_EVENT_BYTES} bytes`;
      dlq.push(dlqMessage({ key: at.key, value, reason, origin: at.origin, headers: at.headers, truncateAbove: DLQ_MAX_VALUE_BYTES }));
      continue;
    }
    events.push({ key: event.agent_id, value, ...(at.timestamp ? { timestamp: at.timestamp } : {}) });
    counts.events++;
  }
  counts.skipped += result.skipped;
  for (const reject of result.rejects) {
    counts.rejected++;
    const part = reject.path ? valueAtPath(at.record, reject.path) : undefined;
    const raw = JSON.stringify(part ?? at.record) ?? '';
    const headers = reject.path ? { ...at.headers, 'x-agentwatch-path': reject.path } : at.headers;
    dlq.push(dlqMessage({ key: at.key, value: raw, reason: `${at.format}: ${reject.reason}`, origin: at.origin, headers, truncateAbove: DLQ_MAX_VALUE_BYTES }));
  }
}

/**
 * The records of one message: a JSON array's elements, a CloudTrail `{"Records": [...]}` file's records, one JSON
 * document, NDJSON lines (a bad line is a per-record error), or for `otlp` an OTLP/protobuf export.
 * `{error}` when the message as a whole cannot be read.
 */
export function decodeRecords(value: Buffer, format: AdapterFormat): MessageRecord[] | { error: string } {
  let first = 0;
  while (first < value.length && (value[first] === 0x20 || value[first] === 0x0a || value[first] === 0x0d || value[first] === 0x09)) first++;
  const lead = value[first];
  if (format === 'otlp' && lead !== 0x7b && lead !== 0x5b) {
    // Not JSON text: the OpenTelemetry Collector's Kafka exporter writes otlp_proto by default.
    try {
      return [{ value: decodeOtlpTraceProtobuf(value) }];
    } catch (e) {
      return { error: `neither OTLP/JSON nor OTLP/protobuf: ${e instanceof Error ? e.message : String(e)}` };
    }
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(value);
  } catch {
    return { error: 'not UTF-8 text (expected JSON)' };
  }
  try {
    const doc: unknown = JSON.parse(text);
    if (Array.isArray(doc)) return doc.map((v, index) => ({ value: v, index }));
    if (isObject(doc) && Array.isArray(doc['Records'])) return (doc['Records'] as unknown[]).map((v, index) => ({ value: v, index }));
    return [{ value: doc }];
  } catch (e) {
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    if (lines.length < 2) return { error: `not valid JSON: ${e instanceof Error ? e.message : String(e)}` };
    // NDJSON: several records in one message (log shippers batch lines).
    return lines.map((line, index) => {
      try {
        return { value: JSON.parse(line) as unknown, index };
      } catch (err) {
        return { value: undefined, index, error: `line ${index + 1}: not valid JSON: ${err instanceof Error ? err.message : String(err)}`, raw: line };
      }
    });
  }
}
