// POST /v1/traces (api.md): OTLP/HTTP bodies made by the OpenTelemetry JS SDK's own serializers (protobuf and JSON),
// mapped by the OTLP adapter into the same ingest as /v1/events; partial success with reasons; rejects kept.
import { gzipSync } from 'node:zlib';
import type { CanonicalEvent } from '@agentwatch/schemas';
import type { RejectedRecord, Store } from '@agentwatch/store';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentRun, recordSpans, toJsonBytes, toProtobuf } from '../../adapters/test/otlp-fixtures.ts';
import { buildServer, createApiMetrics, createMemoryTokenStore, type Role, type TokenStore } from '../src/index.ts';
import { closeAll, openStore, recordingIngest } from './helpers.ts';

const PB = 'application/x-protobuf';
const JSON_TYPE = 'application/json';
const LIMIT = 64 * 1024;

// A registered-style agent with two tool calls (the invoke_agent span is skipped, not rejected).
const good = recordSpans({ 'service.name': 'finance-agents', 'deployment.environment.name': 'prod' }, (tracer) =>
  agentRun(tracer, { 'gen_ai.agent.name': 'invoice-bot', 'gen_ai.conversation.id': 'conv_1' }, [
    { tool: 'erp.invoice.read', at: 5, ms: 12 },
    { tool: 'payments.transfer', at: 40, ms: 3, error: 'PermissionDenied' },
  ]),
);
// No agent identity anywhere: the SDK's placeholder service name is not one, and no gen_ai.agent.* attribute is set.
const anonymous = recordSpans(
  { 'service.name': 'unknown_service:node' },
  (tracer) =>
    agentRun(tracer, {}, [
      { tool: 'shell.exec', at: 1, ms: 2 },
      { tool: 'http.get', at: 3, ms: 2 },
    ]),
  100,
);

let store: Store;
let tokens: TokenStore;
const tok: Record<Role, string> = { viewer: '', analyst: '', engineer: '', admin: '' };
const auth = (role: Role = 'engineer') => ({ authorization: `Bearer ${tok[role]}` });

beforeAll(async () => {
  store = await openStore();
  tokens = createMemoryTokenStore();
  for (const r of Object.keys(tok) as Role[]) tok[r] = (await tokens.createToken(r)).token;
});
afterAll(closeAll);

function server(over: Partial<Parameters<typeof buildServer>[0]> = {}) {
  const rec = recordingIngest();
  const kept: RejectedRecord[] = [];
  const metrics = createApiMetrics({ defaultMetrics: false });
  const app = buildServer({
    store,
    ingest: rec.ingest,
    tokens,
    ready: async () => true,
    metrics,
    tracesBodyLimit: LIMIT,
    keepRejected: async (records) => {
      kept.push(...records);
    },
    ...over,
  });
  const events = () => rec.items.flatMap((i) => ('event' in i ? [i.event as CanonicalEvent] : []));
  return { app, events, kept, metrics };
}

const post = (app: ReturnType<typeof server>['app'], payload: Uint8Array | string, headers: Record<string, string>) =>
  app.inject({ method: 'POST', url: '/v1/traces', payload: Buffer.from(payload), headers: { ...auth(), ...headers } });

/** Reads a google.rpc.Status (field 1 varint code, field 2 message); the adapters' tests check the encoder against protobufjs. */
const Status = {
  decode(bytes: Buffer): { code: number; message: string } {
    const out = { code: 0, message: '' };
    let i = 0;
    const varint = () => {
      let v = 0;
      for (let shift = 0; ; shift += 7) {
        const b = bytes[i++] as number;
        v += (b & 0x7f) * 2 ** shift;
        if (b < 0x80) return v;
      }
    };
    while (i < bytes.length) {
      const tag = varint();
      if (tag === 0x08) out.code = varint();
      else if (tag === 0x12) {
        const n = varint();
        out.message = bytes.subarray(i, i + n).toString('utf8');
        i += n;
      } else throw new Error(`unexpected tag ${tag}`);
    }
    return out;
  },
  toObject: <T>(v: T): T => v,
};

describe('POST /v1/traces', () => {
  it('protobuf (OTel SDK serializer): tool spans become events through ingest; 200 with an empty ExportTraceServiceResponse', async () => {
    const { app, events, kept, metrics } = server();
    const r = await post(app, toProtobuf(good), { 'content-type': PB });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe(PB);
    expect(r.rawPayload.length).toBe(0);
    expect(ProtobufTraceSerializer.deserializeResponse(new Uint8Array(r.rawPayload))).toEqual({});
    expect(events().map((e) => [e.agent_id, e.kind, 'tool' in e ? e.tool : '', 'outcome' in e ? e.outcome : ''])).toEqual([
      ['invoice-bot', 'tool_call', 'erp.invoice.read', 'success'],
      ['invoice-bot', 'tool_call', 'payments.transfer', 'denied'],
    ]);
    expect(kept).toEqual([]);
    const text = await metrics.registry.metrics();
    expect(text).toContain('agentwatch_adapter_events_total{source="otlp_http"} 2');
    expect(text).toContain('agentwatch_adapter_skipped_total{source="otlp_http"} 1');
  });

  it('JSON (OTel SDK serializer) and gzip-compressed bodies give the same events', async () => {
    const viaPb = server();
    await post(viaPb.app, toProtobuf(good), { 'content-type': PB });
    const viaJson = server();
    const r = await post(viaJson.app, toJsonBytes(good), { 'content-type': 'application/json; charset=utf-8' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(r.json()).toEqual({});
    const viaGzip = server();
    const g = await post(viaGzip.app, gzipSync(toProtobuf(good)), { 'content-type': PB, 'content-encoding': 'gzip' });
    expect(g.statusCode).toBe(200);
    expect(viaJson.events()).toEqual(viaPb.events());
    expect(viaGzip.events()).toEqual(viaPb.events());
    expect(viaPb.events()).toHaveLength(2);
  });

  it('spans that cannot be mapped: 200 with partialSuccess (rejectedSpans, reasons), each kept with its span', async () => {
    const { app, events, kept, metrics } = server();
    const mixed = [...good, ...anonymous];
    const r = await post(app, toProtobuf(mixed), { 'content-type': PB });
    expect(r.statusCode).toBe(200);
    const answer = ProtobufTraceSerializer.deserializeResponse(new Uint8Array(r.rawPayload));
    expect(Number(answer.partialSuccess?.rejectedSpans)).toBe(2);
    expect(answer.partialSuccess?.errorMessage).toMatch(
      /^2 of 6 spans rejected \(kept with their reason\): resourceSpans\[1\]\.scopeSpans\[0\]\.spans\[0\]: .*agent/,
    );
    expect(events()).toHaveLength(2);
    expect(kept).toHaveLength(2);
    expect(kept[0]).toMatchObject({
      source: 'otlp_http',
      format: 'otlp',
      path: 'resourceSpans[1].scopeSpans[0].spans[0]',
      reason: expect.stringMatching(/agent/),
    });
    // The span itself is kept (not the whole export), in the OTLP/JSON shape.
    expect(JSON.parse(kept[0]?.raw ?? '')).toMatchObject({ name: 'execute_tool shell.exec' });
    expect(await metrics.registry.metrics()).toContain('agentwatch_adapter_rejected_total{source="otlp_http"} 2');

    const json = await post(app, toJsonBytes(anonymous), { 'content-type': JSON_TYPE });
    expect(json.statusCode).toBe(200);
    expect(JsonTraceSerializer.deserializeResponse(new Uint8Array(json.rawPayload))).toEqual({
      partialSuccess: { rejectedSpans: '2', errorMessage: expect.stringContaining('2 of 3 spans rejected') },
    });
  });

  it('by default rejects go to the store (rejected_records)', async () => {
    const { app } = server({ keepRejected: undefined as never });
    const before = (await store.queryRejectedRecords({ source: 'otlp_http' })).length;
    await post(app, toProtobuf(anonymous), { 'content-type': PB });
    const rows = await store.queryRejectedRecords({ source: 'otlp_http' });
    expect(rows.length - before).toBe(2);
    expect(rows[0]).toMatchObject({ format: 'otlp', reason: expect.stringMatching(/agent/) });
  });

  it('an undecodable body is a 400 (never a 500), as a google.rpc.Status in the request encoding', async () => {
    const { app, events } = server();
    const pb = await post(app, Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 1]), { 'content-type': PB });
    expect(pb.statusCode).toBe(400);
    expect(pb.headers['content-type']).toBe(PB);
    expect(Status.toObject(Status.decode(pb.rawPayload))).toMatchObject({ code: 3, message: expect.stringMatching(/invalid OTLP\/protobuf/) });
    const js = await post(app, '{"resourceSpans": [', { 'content-type': JSON_TYPE });
    expect(js.statusCode).toBe(400);
    expect(js.json()).toMatchObject({ code: 3, message: expect.stringMatching(/invalid OTLP\/JSON/), error: { code: 'invalid_body' } });
    const gz = await post(app, Buffer.from('not gzip at all'), { 'content-type': PB, 'content-encoding': 'gzip' });
    expect(gz.statusCode).toBe(400);
    expect(Status.toObject(Status.decode(gz.rawPayload))).toMatchObject({ message: expect.stringMatching(/does not inflate/) });
    expect((await post(app, '[]', { 'content-type': JSON_TYPE })).statusCode).toBe(400);
    expect(events()).toEqual([]);
  });

  it('415 for another content type or content encoding', async () => {
    const { app } = server();
    const text = await post(app, 'hello', { 'content-type': 'text/plain' });
    expect(text.statusCode).toBe(415);
    expect(text.json()).toMatchObject({ error: { code: 'unsupported_media_type' } });
    expect((await post(app, toProtobuf(good), { 'content-type': 'application/x-ndjson' })).statusCode).toBe(415);
    const br = await post(app, toProtobuf(good), { 'content-type': PB, 'content-encoding': 'br' });
    expect(br.statusCode).toBe(415);
    expect(Status.toObject(Status.decode(br.rawPayload)).message).toMatch(/Content-Encoding/);
  });

  it('413 over the body limit, sent or once inflated', async () => {
    const { app } = server();
    expect((await post(app, new Uint8Array(LIMIT + 1), { 'content-type': PB })).statusCode).toBe(413);
    const bomb = gzipSync(Buffer.alloc(LIMIT * 4, 0x20));
    expect(bomb.length).toBeLessThan(LIMIT);
    const r = await post(app, bomb, { 'content-type': JSON_TYPE, 'content-encoding': 'gzip' });
    expect(r.statusCode).toBe(413);
    expect(r.json()).toMatchObject({ error: { code: 'payload_too_large' } });
  });

  it('needs the engineer role, like POST /v1/events', async () => {
    const { app } = server();
    expect((await app.inject({ method: 'POST', url: '/v1/traces', payload: Buffer.from(toProtobuf(good)), headers: { 'content-type': PB } })).statusCode).toBe(
      401,
    );
    for (const role of ['viewer', 'analyst'] as const) expect((await post(app, toProtobuf(good), { ...auth(role), 'content-type': PB })).statusCode).toBe(403);
    expect((await post(app, toProtobuf(good), { ...auth('admin'), 'content-type': PB })).statusCode).toBe(200);
  });

  it('a failing ingest is a retryable 503 (the rejects were kept first)', async () => {
    const { app, kept } = server({
      ingest: async () => {
        throw new Error('broker down');
      },
    });
    const r = await post(app, toProtobuf([...good, ...anonymous]), { 'content-type': PB });
    expect(r.statusCode).toBe(503);
    expect(r.headers['retry-after']).toBe('1');
    expect(Status.toObject(Status.decode(r.rawPayload))).toMatchObject({ code: 14 });
    expect(kept).toHaveLength(2);
  });
});
