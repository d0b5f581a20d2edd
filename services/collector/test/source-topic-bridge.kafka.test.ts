// SourceTopicBridge against a real Apache Kafka broker (test/support/kafka-global-setup.ts): the real sample records
// (../shared/samples, read in place) produced to raw topics come out as canonical events on the events topic (keyed
// by agent_id, the ids the adapters give), and what cannot be mapped is in the DLQ with the reason and its source.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AdapterFormat, createAdapter, decodeOtlpTraceProtobuf } from '@agentwatch/adapters';
import type { CanonicalEvent } from '@agentwatch/schemas';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaBrokersOrFail } from '../../../test/support/kafka-suite.ts';
import { agentRun, recordSpans, toProtobuf } from '../../adapters/test/otlp-fixtures.ts';
import { SourceTopicBridge } from '../src/source-topic-bridge.ts';

const brokers = kafkaBrokersOrFail('SourceTopicBridge');
const SAMPLES = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'samples');
const sample = (...p: string[]) => readFileSync(join(SAMPLES, ...p), 'utf8');
const TEMPLATE = 'spiffe://corp.example/agents/{value}';

interface Read {
  key: string | null;
  value: string;
  headers: Record<string, string>;
  partition: number;
}

async function waitFor(what: string, cond: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * What the adapter itself makes of the records, in order, with one adapter per topic (as the bridge has per
 * partition); `held`: what it still holds at the end (the bridge produces it when it stops).
 */
function expected(format: AdapterFormat, records: unknown[], options: Record<string, unknown> = {}) {
  const adapter = createAdapter(format, options);
  const events: CanonicalEvent[] = [];
  const rejects: string[] = [];
  for (const r of records) {
    const result = adapter.map(r);
    events.push(...result.events);
    rejects.push(...result.rejects.map((j) => j.reason));
  }
  return { events, rejects, held: adapter.flush().events };
}

describe.skipIf(brokers.length === 0)('SourceTopicBridge (real broker)', () => {
  const run = randomUUID().slice(0, 8);
  const t = {
    cloudtrail: `aw-raw-cloudtrail-${run}`,
    vault: `aw-raw-vault-${run}`,
    opa: `aw-raw-opa-${run}`,
    otlp: `aw-raw-otlp-${run}`,
    events: `aw-src-events-${run}`,
    dlq: `aw-src-dlq-${run}`,
  };
  const groupId = `aw-sources-${run}`;
  const sources: Record<string, AdapterFormat> = { [t.cloudtrail]: 'cloudtrail', [t.vault]: 'vault', [t.opa]: 'opa', [t.otlp]: 'otlp' };
  const adapters = { otlp: { agentIdTemplate: TEMPLATE } };
  const logger = pino({ level: 'error' });
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let bridge: SourceTopicBridge | null = null;

  const cloudtrailFiles = ['stratus_aws.defense-evasion.organizations-leave.json', 'stratus_aws.persistence.sts-federation-token.json'];
  const cloudtrailRecords = cloudtrailFiles.flatMap((f) => JSON.parse(sample('aws-cloudtrail', f)) as unknown[]);
  const vaultLines = sample('vault-audit', 'elastic_hashicorp_vault_test-audit.log').split('\n').filter(Boolean);
  const opaLines = sample('opa-decision-logs', 'osm_opa-envoy-plugin_decision-logs.jsonl').split('\n').filter(Boolean);
  const anyAgent = JSON.parse(sample('otel-genai', 'any-agent_OPENAI_trace.json')) as unknown;
  const sdkSpans = recordSpans({ 'service.name': 'finance-agents' }, (tracer) =>
    agentRun(tracer, { 'gen_ai.agent.name': 'invoice-bot' }, [{ tool: 'erp.invoice.read', at: 5, ms: 10 }]),
  );

  /** Every message of a topic, read to its current end with a throwaway group. */
  async function readAll(topic: string): Promise<Read[]> {
    const ends = await admin.fetchTopicOffsets(topic);
    const total = ends.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
    const got: Read[] = [];
    if (total === 0) return got;
    const c = kafka.consumer({ groupId: `aw-reader-${randomUUID()}` });
    await c.connect();
    await c.subscribe({ topics: [topic], fromBeginning: true });
    await c.run({
      eachMessage: async ({ message, partition }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        got.push({ key: message.key?.toString() ?? null, value: message.value?.toString() ?? '', headers, partition });
      },
    });
    try {
      await waitFor(`${total} messages on ${topic}`, async () => got.length >= total);
    } finally {
      await c.disconnect();
    }
    return got;
  }
  const count = async (topic: string) => (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);

  beforeAll(async () => {
    const { Kafka, logLevel } = await import('kafkajs');
    kafka = new Kafka({ clientId: `aw-sources-test-${run}`, brokers, logLevel: logLevel.NOTHING, retry: { retries: 8 } });
    admin = kafka.admin();
    producer = kafka.producer();
    await Promise.all([admin.connect(), producer.connect()]);
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: t.cloudtrail, numPartitions: 2, replicationFactor: 1 },
        { topic: t.vault, numPartitions: 1, replicationFactor: 1 },
        { topic: t.opa, numPartitions: 1, replicationFactor: 1 },
        { topic: t.otlp, numPartitions: 1, replicationFactor: 1 },
        { topic: t.events, numPartitions: 3, replicationFactor: 1 },
        { topic: t.dlq, numPartitions: 1, replicationFactor: 1 },
      ],
    });
    // CloudTrail as it is delivered: one file per message (a JSON array, and an S3-style {"Records": [...]}), plus a
    // message that is not JSON and an empty one. Vault and OPA: one audit line / decision log line per message, and
    // the two OPA lines once more as one NDJSON message. OTLP: the any-agent trace (JSON) and an SDK export (protobuf).
    await producer.send({
      topic: t.cloudtrail,
      acks: -1,
      messages: [
        { key: 'trail', value: sample('aws-cloudtrail', cloudtrailFiles[0] as string) },
        { key: 'trail', value: JSON.stringify({ Records: JSON.parse(sample('aws-cloudtrail', cloudtrailFiles[1] as string)) }) },
        { key: 'trail', value: 'not json {' },
        { key: 'trail', value: null },
      ],
    });
    await producer.send({ topic: t.vault, acks: -1, messages: vaultLines.map((value) => ({ key: 'vault-1', value })) });
    await producer.send({ topic: t.opa, acks: -1, messages: [...opaLines.map((value) => ({ value })), { value: opaLines.join('\n') }] });
    await producer.send({ topic: t.otlp, acks: -1, messages: [{ value: JSON.stringify(anyAgent) }, { value: Buffer.from(toProtobuf(sdkSpans)) }] });
    bridge = new SourceTopicBridge({ kafka, logger, sources, adapters, eventsTopic: t.events, dlqTopic: t.dlq, groupId });
    await bridge.start();
  }, 120_000);

  afterAll(async () => {
    await bridge?.stop();
    await admin?.deleteTopics({ topics: Object.values(t) }).catch(() => {});
    await Promise.all([producer?.disconnect(), admin?.disconnect()]);
  });

  const cloudtrail = expected('cloudtrail', cloudtrailRecords);
  const vault = expected(
    'vault',
    vaultLines.map((l) => JSON.parse(l)),
  );
  const opa = expected(
    'opa',
    opaLines.map((l) => JSON.parse(l)),
  );
  const otlp = expected('otlp', [anyAgent, decodeOtlpTraceProtobuf(toProtobuf(sdkSpans))], adapters.otlp);
  const allEvents = [...cloudtrail.events, ...vault.events, ...otlp.events];

  it('maps each raw record with its topic format: the events the adapters give, keyed by agent_id', async () => {
    // What the samples hold (as in the adapters' own tests): CloudTrail 5/5 mapped; Vault 3 events (one of them from a
    // request line whose response is not in the file, so it is held until the end) and 1 reject.
    expect(cloudtrail.events).toHaveLength(5);
    expect(vault.events).toHaveLength(2);
    expect(vault.held).toHaveLength(1);
    expect(vault.rejects).toHaveLength(1);
    expect(opa.events).toHaveLength(0);
    expect(otlp.events).toHaveLength(3);
    const want = allEvents.length;
    await waitFor(`${want} events`, async () => (await count(t.events)) >= want);
    const events = await readAll(t.events);
    expect(events).toHaveLength(want);
    for (const e of events) expect(e.key).toBe((JSON.parse(e.value) as CanonicalEvent).agent_id);
    const got = events.map((e) => JSON.parse(e.value) as CanonicalEvent);
    const byId = new Map(got.map((e) => [e.event_id, e]));
    for (const e of allEvents) expect(byId.get(e.event_id)).toEqual(e);
    // adapters.otlp options apply: the template makes SPIFFE ids, for the JSON and the protobuf export alike.
    const otel = got.filter((e) => e.source === 'otel').map((e) => e.agent_id);
    expect(otel.sort()).toEqual([
      'spiffe://corp.example/agents/any_agent',
      'spiffe://corp.example/agents/any_agent',
      'spiffe://corp.example/agents/invoice-bot',
    ]);
  });

  it('puts every reject and undecodable message in the DLQ with the reason, format and source position', async () => {
    const want = 2 + vault.rejects.length + opaLines.length * 2;
    await waitFor(`${want} DLQ entries`, async () => (await count(t.dlq)) >= want);
    const dlq = await readAll(t.dlq);
    expect(dlq).toHaveLength(want);
    const from = (topic: string) => dlq.filter((d) => d.headers['x-agentwatch-source-topic'] === topic);

    const trail = from(t.cloudtrail).sort((a, b) => Number(a.headers['x-agentwatch-source-offset']) - Number(b.headers['x-agentwatch-source-offset']));
    expect(trail.map((d) => d.headers['x-agentwatch-error'])).toEqual([expect.stringMatching(/^not valid JSON: /), 'empty message (no value)']);
    expect(trail[0]).toMatchObject({ key: 'trail', value: 'not json {', headers: { 'x-agentwatch-format': 'cloudtrail', 'x-agentwatch-source-offset': '2' } });

    const [v] = from(t.vault);
    expect(v?.headers['x-agentwatch-error']).toBe(`vault: ${vault.rejects[0]}`);
    expect(v?.headers['x-agentwatch-error']).toMatch(/no token accessor/);
    expect(v?.headers['x-agentwatch-source-offset']).toBe('3'); // the 4th audit line, the unauthenticated denied request
    expect(JSON.parse(v?.value ?? '')).toEqual(JSON.parse(vaultLines[3] as string));

    const o = from(t.opa);
    expect(o).toHaveLength(4);
    for (const d of o) expect(d.headers['x-agentwatch-error']).toMatch(/^opa: agent: no agent id at input\.agent_id/);
    // The NDJSON message (offset 2) held both lines: each reject names its line, and keeps only that record.
    const batched = o.filter((d) => d.headers['x-agentwatch-source-offset'] === '2');
    expect(batched.map((d) => d.headers['x-agentwatch-record-index']).sort()).toEqual(['0', '1']);
    expect(batched.map((d) => (JSON.parse(d.value) as { decision_id: string }).decision_id).sort()).toEqual(
      opaLines.map((l) => (JSON.parse(l) as { decision_id: string }).decision_id).sort(),
    );
  });

  it('commits each partition after its output is acknowledged; a graceful stop produces what the adapters held; a restarted bridge reads only what is new', async () => {
    const committed = async () => {
      const offsets = await admin.fetchOffsets({ groupId, topics: Object.keys(sources) });
      return offsets.flatMap((o) => o.partitions.map((p) => [o.topic, p.partition, Number(p.offset)] as const));
    };
    const highs = async () =>
      (
        await Promise.all(
          Object.keys(sources).map(async (topic) => (await admin.fetchTopicOffsets(topic)).map((p) => [topic, p.partition, Number(p.high)] as const)),
        )
      ).flat();
    const done = async () => {
      const c = new Map((await committed()).map(([topic, p, o]) => [`${topic}:${p}`, o]));
      return (await highs()).every(([topic, p, h]) => h === 0 || c.get(`${topic}:${p}`) === h);
    };
    await waitFor('committed offsets at the end of every raw topic', done);
    const before = await count(t.events);
    await bridge?.stop();
    // The Vault request line still waiting for its response is produced at stop (as replay maps it at end of file).
    expect(await count(t.events)).toBe(before + 1);
    const held = (await readAll(t.events)).map((e) => JSON.parse(e.value) as CanonicalEvent).find((e) => e.event_id === vault.held[0]?.event_id);
    expect(held).toEqual(vault.held[0]);
    // One more CloudTrail file while it is down; a new bridge in the same group maps only that one.
    const more = JSON.parse(sample('aws-cloudtrail', cloudtrailFiles[1] as string)) as Array<Record<string, unknown>>;
    const renamed = more.map((r) => ({ ...r, eventID: `${String(r['eventID'])}-again` }));
    await producer.send({ topic: t.cloudtrail, acks: -1, messages: [{ key: 'trail', value: JSON.stringify(renamed) }] });
    bridge = new SourceTopicBridge({ kafka, logger, sources, adapters, eventsTopic: t.events, dlqTopic: t.dlq, groupId });
    await bridge.start();
    const fresh = expected('cloudtrail', renamed).events;
    expect(fresh).toHaveLength(2);
    await waitFor('the new file mapped', async () => (await count(t.events)) >= before + 1 + fresh.length);
    await waitFor('its offset committed', done);
    expect(await count(t.events)).toBe(before + 1 + fresh.length);
    expect(bridge.stats()).toMatchObject({ messages: 1, records: 2, events: 2, rejected: 0 });
  });

  it('refuses to start on a source topic that does not exist, naming it', async () => {
    const missing = `aw-raw-missing-${run}`;
    const b = new SourceTopicBridge({ kafka, logger, sources: { [missing]: 'okta' }, eventsTopic: t.events, dlqTopic: t.dlq, groupId: `${groupId}-x` });
    await expect(b.start()).rejects.toThrow(`source topic ${missing} not found on the brokers`);
    await b.stop();
    expect(() => new SourceTopicBridge({ kafka, logger, sources: { [t.events]: 'okta' }, eventsTopic: t.events, dlqTopic: t.dlq })).toThrow(
      /is the events or DLQ topic/,
    );
    expect(() => new SourceTopicBridge({ kafka, logger, sources: { x: 'otlp' }, adapters: { otlp: { agentIdFrom: ['nope'] } } })).toThrow(
      /invalid otlp adapter options/,
    );
  });
});
