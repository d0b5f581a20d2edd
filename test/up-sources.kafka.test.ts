// `agentwatch up` with Kafka and raw source topics, end to end against a real broker: real CloudTrail sample records
// produced to a raw topic are mapped by the CloudTrail adapter onto the events topic and raise the expected alert in
// GET /v1/alerts; POST /v1/traces in Kafka mode goes through the events topic too, and its rejected spans go to the
// DLQ topic with the reason.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAdapter } from '@agentwatch/adapters';
import type { Alert, CanonicalEvent } from '@agentwatch/schemas';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentRun, recordSpans, toProtobuf } from '../services/adapters/test/otlp-fixtures.ts';
import { kafkaBrokersOrFail } from './support/kafka-suite.ts';
import { lockUp, spawnUp, type UpProcess, waitFor } from './support/up-process.ts';

const brokers = kafkaBrokersOrFail('agentwatch up (Kafka, source topics)');
const SAMPLES = join(import.meta.dirname, '..', '..', 'shared', 'samples');
const TOKEN = 'aw_test_bootstrap_token_sources_0123456789';
const auth = { Authorization: `Bearer ${TOKEN}` };

describe.skipIf(brokers.length === 0)('agentwatch up (Kafka, raw source topics)', () => {
  const run = randomUUID().slice(0, 8);
  const t = {
    events: `aw-ups-events-${run}`,
    alerts: `aw-ups-alerts-${run}`,
    dlq: `aw-ups-dlq-${run}`,
    tokens: `aw-ups-tokens-${run}`,
    checkpoints: `aw-ups-checkpoints-${run}`,
    cloudtrail: `aw-ups-raw-cloudtrail-${run}`,
  };
  const dir = mkdtempSync(join(tmpdir(), 'aw-up-sources-'));
  const kafka = new Kafka({ clientId: `aw-up-sources-test-${run}`, brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer();
  let up: UpProcess;
  let base = '';
  let unlock: (() => void) | undefined;

  const trail = JSON.parse(readFileSync(join(SAMPLES, 'aws-cloudtrail', 'stratus_aws.defense-evasion.organizations-leave.json'), 'utf8')) as unknown[];
  const adapter = createAdapter('cloudtrail');
  const trailEvents: CanonicalEvent[] = trail.flatMap((r) => adapter.map(r).events);

  beforeAll(async () => {
    writeFileSync(
      join(dir, 'registry.yaml'),
      'agents:\n  - { id: invoice-bot, name: Invoice bot, owner: alice@corp.example, status: active, purpose: reads invoices, registered_at: 2024-01-01 }\n',
    );
    // The CloudTrail sample was recorded years ago: produced now, its times need max_event_age to be believed (events.md 1.1).
    writeFileSync(
      join(dir, 'config.yaml'),
      `source_topics:\n  ${t.cloudtrail}: cloudtrail\nadapters:\n  otlp: { agentIdTemplate: 'otel/{value}' }\ndetection:\n  max_event_age: 36500d\n`,
    );
    await Promise.all([admin.connect(), producer.connect()]);
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: t.events, numPartitions: 2, replicationFactor: 1 },
        { topic: t.dlq, numPartitions: 1, replicationFactor: 1 },
        { topic: t.cloudtrail, numPartitions: 1, replicationFactor: 1 },
      ],
    });
    unlock = await lockUp(brokers);
    up = spawnUp(['--registry', join(dir, 'registry.yaml'), '--config', join(dir, 'config.yaml'), '--data', join(dir, 'data'), '--listen', '127.0.0.1:0'], {
      KAFKA_BROKERS: brokers.join(','),
      AGENTWATCH_EVENTS_TOPIC: t.events,
      AGENTWATCH_ALERTS_TOPIC: t.alerts,
      AGENTWATCH_DLQ_TOPIC: t.dlq,
      AGENTWATCH_TOKENS_TOPIC: t.tokens,
      AGENTWATCH_CHECKPOINTS_TOPIC: t.checkpoints,
      AGENTWATCH_GROUP_ID: `agentwatch-e2e-sources-${run}`,
      AGENTWATCH_BOOTSTRAP_TOKEN: TOKEN,
      AGENTWATCH_SOURCE_TOPICS: '',
      CLICKHOUSE_URL: '',
    });
    base = await up.base;
  }, 400_000);

  afterAll(async () => {
    if (up && up.proc.exitCode === null && up.proc.signalCode === null) up.proc.kill('SIGKILL');
    unlock?.();
    await admin.deleteTopics({ topics: Object.values(t) }).catch(() => {});
    await Promise.all([producer.disconnect(), admin.disconnect()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const alerts = async (): Promise<Alert[]> =>
    (await (await fetch(`${base}/v1/alerts?format=ndjson`, { headers: auth })).text())
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Alert);

  it('a CloudTrail file on its raw topic becomes events on the events topic and the alert in GET /v1/alerts', async () => {
    await producer.send({ topic: t.cloudtrail, acks: -1, messages: [{ key: 'trail', value: JSON.stringify({ Records: trail }) }] });
    const agents = [...new Set(trailEvents.map((e) => e.agent_id))];
    expect(agents.length).toBeGreaterThan(0);
    const got = await waitFor(
      'registry.unregistered_agent for the CloudTrail agents',
      async () => {
        const open = (await alerts()).filter((a) => a.rule_id === 'registry.unregistered_agent');
        return agents.every((id) => open.some((a) => a.agent_id === id)) ? open : null;
      },
      60_000,
      up.stderr,
    );
    const detail = (await (await fetch(`${base}/v1/alerts/${got[0]?.alert_id}`, { headers: auth })).json()) as { events: CanonicalEvent[] };
    expect(detail.events.every((e) => e.source === 'cloudtrail')).toBe(true);
    const ends = await admin.fetchTopicOffsets(t.events);
    expect(ends.reduce((n, p) => n + Number(p.high), 0)).toBe(trailEvents.length);
    const metrics = await (await fetch(`${base}/metrics`, { headers: auth })).text();
    expect(metrics).toContain(`agentwatch_adapter_events_total{source="topic:${t.cloudtrail}"} ${trailEvents.length}`);
  });

  it('POST /v1/traces with Kafka: events through the events topic, rejected spans to the DLQ topic with the reason', async () => {
    const spans = recordSpans({ 'service.name': 'unknown_service:node' }, (tracer) => agentRun(tracer, {}, [{ tool: 'shell.exec', at: 1, ms: 1 }]));
    const named = recordSpans({ 'service.name': 'reporting-bot' }, (tracer) => agentRun(tracer, {}, [{ tool: 'report.build', at: 1, ms: 1 }]), 50);
    const res = await fetch(`${base}/v1/traces`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/x-protobuf' },
      body: Buffer.from(toProtobuf([...spans, ...named])),
    });
    expect(res.status).toBe(200);
    await waitFor(
      'the alert for the templated OTel agent',
      async () => ((await alerts()).some((a) => a.agent_id === 'otel/reporting-bot') ? true : null),
      60_000,
      up.stderr,
    );
    const dlq: Array<{ headers: Record<string, string>; value: string }> = [];
    const reader = kafka.consumer({ groupId: `aw-reader-${randomUUID()}` });
    await reader.connect();
    await reader.subscribe({ topics: [t.dlq], fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        dlq.push({ headers, value: message.value?.toString() ?? '' });
      },
    });
    try {
      await waitFor('the rejected span in the DLQ', async () => (dlq.length > 0 ? true : null), 30_000);
    } finally {
      await reader.disconnect();
    }
    expect(dlq).toHaveLength(1);
    expect(dlq[0]?.headers).toMatchObject({
      'x-agentwatch-source': 'otlp_http',
      'x-agentwatch-format': 'otlp',
      'x-agentwatch-path': 'resourceSpans[0].scopeSpans[0].spans[0]',
      'x-agentwatch-error': expect.stringMatching(/^otlp: .*agent/),
    });
    expect(JSON.parse(dlq[0]?.value ?? '')).toMatchObject({ name: 'execute_tool shell.exec' });
  });

  it('stops cleanly on SIGTERM', async () => {
    up.proc.kill('SIGTERM');
    expect((await up.exited).code).toBe(0);
  });
});
