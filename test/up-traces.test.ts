// POST /v1/traces on a real `agentwatch up` (in-process, embedded ClickHouse): the real any-agent sample trace
// (../shared/samples, read in place) and OTel-SDK-serialized protobuf spans are mapped by the OTLP adapter, with the
// config file's `adapters.otlp` options, into the same pipeline as /v1/events; the expected alerts appear in
// GET /v1/alerts; spans that cannot be mapped are answered as partial success and kept in rejected_records.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Alert } from '@agentwatch/schemas';
import { createStore } from '@agentwatch/store';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentRun, recordSpans, toProtobuf } from '../services/adapters/test/otlp-fixtures.ts';
import { tempDir } from './support/temp-dir.ts';
import { spawnUp, type UpProcess, waitFor } from './support/up-process.ts';

const SAMPLES = join(import.meta.dirname, '..', '..', 'shared', 'samples');
const TOKEN = 'aw_test_bootstrap_token_traces_0123456789';
const auth = { Authorization: `Bearer ${TOKEN}` };
const dir = tempDir('aw-up-traces-');
const ENV = { AGENTWATCH_BOOTSTRAP_TOKEN: TOKEN, KAFKA_BROKERS: '', CLICKHOUSE_URL: '', AGENTWATCH_SOURCE_TOPICS: '' };

writeFileSync(
  join(dir, 'registry.yaml'),
  `agents:
  - { id: invoice-bot, name: Invoice bot, owner: alice@corp.example, status: active, purpose: reads invoices, registered_at: 2024-01-01, scope: { tools: [erp.invoice.read] } }
`,
);
// The agent is the emitting service (resource service.name) before any span attribute: a deployment that names its
// services after its agents. Without this option the spans below would belong to "planner" (gen_ai.agent.name).
writeFileSync(
  join(dir, 'config.yaml'),
  `adapters:
  otlp:
    agentIdFrom: ['resource:service.name', 'span:gen_ai.agent.name', 'agent_span:gen_ai.agent.name']
# The real sample trace was recorded long ago; sent now, its times would be claims not believed (events.md 1.1).
detection:
  max_event_age: 36500d
`,
);

let up: UpProcess;
let base = '';

beforeAll(async () => {
  up = spawnUp(['--registry', join(dir, 'registry.yaml'), '--config', join(dir, 'config.yaml'), '--data', join(dir, 'data'), '--listen', '127.0.0.1:0'], ENV);
  base = await up.base;
}, 120_000);

afterAll(() => {
  if (up?.proc.exitCode === null) up.proc.kill('SIGKILL');
});

const post = (body: Uint8Array | string, headers: Record<string, string>) =>
  fetch(`${base}/v1/traces`, { method: 'POST', headers: { ...auth, ...headers }, body: Buffer.from(body) });

async function alerts(): Promise<Alert[]> {
  const res = await fetch(`${base}/v1/alerts?format=ndjson`, { headers: auth });
  return (await res.text())
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Alert);
}

const alertFor = (rule: string, agent: string) =>
  waitFor(`${rule} for ${agent}`, async () => (await alerts()).find((a) => a.rule_id === rule && a.agent_id === agent) ?? null, 30_000, up.stderr);

describe('POST /v1/traces on agentwatch up (in-process)', () => {
  it('the real any-agent sample trace (JSON): its tool calls are events, its agent is out of registry', async () => {
    const res = await post(readFileSync(join(SAMPLES, 'otel-genai', 'any-agent_OPENAI_trace.json')), { 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    const alert = await alertFor('registry.unregistered_agent', 'any_agent');
    const detail = (await (await fetch(`${base}/v1/alerts/${alert.alert_id}`, { headers: auth })).json()) as {
      events: Array<{ tool: string; source: string }>;
    };
    expect(detail.events.map((e) => [e.source, e.tool])).toEqual([
      ['otel', 'get_current_time'],
      ['otel', 'write_file'],
    ]);
  });

  it('OTel SDK protobuf, gzip: the config file chooses the agent (resource first), a tool outside its scope alerts', async () => {
    const spans = recordSpans({ 'service.name': 'invoice-bot' }, (tracer) =>
      agentRun(tracer, { 'gen_ai.agent.name': 'planner' }, [
        { tool: 'erp.invoice.read', at: 5, ms: 10 },
        { tool: 'payments.transfer', at: 30, ms: 4 },
      ]),
    );
    const res = await post(gzipSync(toProtobuf(spans)), { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-protobuf');
    expect(ProtobufTraceSerializer.deserializeResponse(new Uint8Array(await res.arrayBuffer()))).toEqual({});
    const alert = await alertFor('scope.tool_outside_registry', 'invoice-bot');
    expect(alert.title).toMatch(/payments\.transfer/);
    expect((await alerts()).some((a) => a.agent_id === 'planner')).toBe(false);
  });

  it('spans without an agent: partial success naming the reason; a bad body is a 400, another type a 415', async () => {
    const anonymous = recordSpans({ 'service.name': 'unknown_service:node' }, (tracer) => agentRun(tracer, {}, [{ tool: 'shell.exec', at: 1, ms: 1 }]), 500);
    const res = await post(JsonTraceSerializer.serializeRequest(anonymous) as Uint8Array, { 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { partialSuccess: { rejectedSpans: string; errorMessage: string } };
    expect(body.partialSuccess.rejectedSpans).toBe('1');
    expect(body.partialSuccess.errorMessage).toMatch(/1 of 2 spans rejected .*agent/);
    expect((await post('{"resourceSpans":', { 'content-type': 'application/json' })).status).toBe(400);
    expect((await post(Uint8Array.from([0xff, 0xff, 0xff]), { 'content-type': 'application/x-protobuf' })).status).toBe(400);
    expect((await post('x', { 'content-type': 'text/plain' })).status).toBe(415);
    const metrics = await (await fetch(`${base}/metrics`, { headers: auth })).text();
    expect(metrics).toMatch(/agentwatch_adapter_rejected_total\{source="otlp_http"\} 1\b/);
    expect(metrics).toMatch(/agentwatch_adapter_events_total\{source="otlp_http"\} 4\b/);
  });

  it('stops cleanly; the rejected span is in rejected_records with its reason and the span itself', async () => {
    up.proc.kill('SIGTERM');
    expect((await up.exited).code).toBe(0);
    const store = createStore({ dataDir: join(dir, 'data', 'clickhouse'), database: 'agentwatch' });
    try {
      const rows = await store.queryRejectedRecords({ source: 'otlp_http' });
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ format: 'otlp', path: 'resourceSpans[0].scopeSpans[0].spans[0]', reason: expect.stringMatching(/agent/) });
      expect(JSON.parse(rows[0]?.raw ?? '')).toMatchObject({ name: 'execute_tool shell.exec' });
    } finally {
      await store.close();
    }
  });
});

describe('agentwatch up: configuration errors are said at start-up', () => {
  it('an invalid adapter option names the format and the field', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'adapters:\n  otlp:\n    agentIdFrom: [gen_ai.agent.name]\n');
    const p = spawnUp(['--registry', join(dir, 'registry.yaml'), '--config', bad, '--data', join(dir, 'data-bad'), '--listen', '127.0.0.1:0'], ENV);
    expect((await p.exited).code).toBe(1);
    expect(p.stderr()).toContain(`invalid configuration (${bad}): adapters.otlp.agentIdFrom[0]: expected "span:<attribute>"`);
  });

  it('source_topics without Kafka is refused, saying why', async () => {
    const p = spawnUp(['--registry', join(dir, 'registry.yaml'), '--data', join(dir, 'data-bad'), '--listen', '127.0.0.1:0'], {
      ...ENV,
      AGENTWATCH_SOURCE_TOPICS: 'raw.cloudtrail=cloudtrail',
    });
    expect((await p.exited).code).toBe(2);
    expect(p.stderr()).toMatch(/source_topics \(raw\.cloudtrail\) needs Kafka: set KAFKA_BROKERS/);
  });
});
