// POST /v1/events with hostile bodies (issue 13, part 2): the same limits for NDJSON, JSON arrays and gzip; each
// rejected record counted, kept (with its size) and reported; answers bounded; valid neighbours accepted.
import { gzipSync } from 'node:zlib';
import { createOtlpAdapter } from '@agentwatch/adapters';
import { type CanonicalEvent, EVENT_LIMITS, MAX_EVENT_BYTES } from '@agentwatch/schemas';
import type { RejectedRecord, Store } from '@agentwatch/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentRun, recordSpans, toJsonBytes } from '../../adapters/test/otlp-fixtures.ts';
import {
  buildServer,
  createApiMetrics,
  createMemoryTokenStore,
  MAX_ANSWER_ERROR_CHARS,
  MAX_KEPT_RAW_BYTES,
  MAX_LISTED_REJECTS,
  type ServerOptions,
  type TokenStore,
} from '../src/index.ts';
import { closeAll, openStore, recordingIngest, toolCall } from './helpers.ts';

let store: Store;
let tokens: TokenStore;
let token = '';

beforeAll(async () => {
  store = await openStore();
  tokens = createMemoryTokenStore();
  token = (await tokens.createToken('engineer')).token;
});
afterAll(closeAll);

function server(over: Partial<ServerOptions> = {}) {
  const rec = recordingIngest();
  const kept: RejectedRecord[][] = [];
  const metrics = createApiMetrics({ defaultMetrics: false });
  const app = buildServer({
    store,
    ingest: rec.ingest,
    tokens,
    ready: async () => true,
    metrics,
    keepRejected: async (records) => {
      kept.push(records);
    },
    ...over,
  });
  const post = (payload: string | Buffer, contentType = 'application/x-ndjson', headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: '/v1/events', headers: { authorization: `Bearer ${token}`, 'content-type': contentType, ...headers }, payload });
  const counter = async (name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(await metrics.registry.metrics())?.[1] ?? 0);
  return { app, post, rec, kept, all: () => kept.flat(), counter };
}

const line = (id: string, minute = 0) => JSON.stringify(toolCall(id, `2026-11-02T09:${String(minute).padStart(2, '0')}:00Z`));
/** A valid event padded (with an attribute) to more than `bytes` bytes of JSON. */
const bigEvent = (id: string, bytes: number) => JSON.stringify({ ...toolCall(id, '2026-11-02T09:00:00Z'), attributes: { note: 'A'.repeat(bytes) } });

describe('POST /v1/events: per-event limit, the same for every format', () => {
  it('a JSON array element larger than MAX_EVENT_BYTES is rejected with its position; its neighbours are accepted', async () => {
    const s = server();
    const big = bigEvent('big', MAX_EVENT_BYTES + 10);
    const r = await s.post(`[${line('a')},${big},${line('b', 1)}]`, 'application/json');
    expect(r.statusCode).toBe(202);
    expect(r.json()).toMatchObject({ accepted: 2, rejected_count: 1, rejected: [{ line: 2, error: expect.stringMatching(/larger than 1048576 bytes/) }] });
    expect(s.rec.items.map((i) => ('event' in i ? i.event.event_id : ''))).toEqual(['a', 'b']);
    const [kept] = s.all();
    expect(kept).toMatchObject({ source: 'http_events', format: 'json', path: 'element 2', rawBytes: Buffer.byteLength(big) });
    expect(Buffer.byteLength(kept?.raw ?? '')).toBeLessThanOrEqual(MAX_KEPT_RAW_BYTES);
  });

  it('an NDJSON line larger than MAX_EVENT_BYTES is rejected the same way', async () => {
    const s = server();
    const big = bigEvent('big', MAX_EVENT_BYTES + 10);
    const r = await s.post([line('a'), big, line('b', 1)].join('\n'));
    expect(r.statusCode).toBe(202);
    expect(r.json()).toMatchObject({ accepted: 2, rejected_count: 1, rejected: [{ line: 2, error: expect.stringMatching(/larger than 1048576 bytes/) }] });
    expect(s.all()[0]).toMatchObject({ format: 'ndjson', path: 'line 2', rawBytes: Buffer.byteLength(big) });
  });

  it('gzip bodies are read the same way, and the body limit counts inflated bytes (a gzip bomb is a 413)', async () => {
    const s = server({ eventsBodyLimit: 256 * 1024 });
    const ok = await s.post(gzipSync([line('g1'), 'junk', line('g2', 1)].join('\n')), 'application/x-ndjson', { 'content-encoding': 'gzip' });
    expect(ok.statusCode).toBe(202);
    expect(ok.json()).toMatchObject({ accepted: 2, rejected: [{ line: 2 }], rejected_count: 1 });
    const bomb = await s.post(gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20)), 'application/x-ndjson', { 'content-encoding': 'gzip' });
    expect(bomb.statusCode).toBe(413);
    expect(bomb.json().error.code).toBe('payload_too_large');
    const notGzip = await s.post('plain text', 'application/x-ndjson', { 'content-encoding': 'gzip' });
    expect(notGzip.statusCode).toBe(400);
    const br = await s.post('x', 'application/x-ndjson', { 'content-encoding': 'br' });
    expect(br.statusCode).toBe(415);
  });
});

describe('POST /v1/events: bounded answers, every rejection counted and kept', () => {
  for (const [format, contentType, body] of [
    ['NDJSON', 'application/x-ndjson', (n: number) => Array.from({ length: n }, (_, i) => `junk ${i}`).join('\n')],
    ['JSON array', 'application/json', (n: number) => `[${Array.from({ length: n }, (_, i) => `{"junk":${i}}`).join(',')}]`],
  ] as const) {
    it(`${format}: 5,000 junk records -> 400 listing the first ${MAX_LISTED_REJECTS}, rejected_count 5,000, all kept in chunks, counted`, async () => {
      const s = server();
      const r = await s.post(body(5000), contentType);
      expect(r.statusCode).toBe(400);
      const j = r.json();
      expect(j.accepted).toBe(0);
      expect(j.rejected_count).toBe(5000);
      expect(j.rejected).toHaveLength(MAX_LISTED_REJECTS);
      expect(j.rejected[0].line).toBe(1);
      expect(j.error.details).toHaveLength(MAX_LISTED_REJECTS);
      expect(r.payload.length).toBeLessThan(2 * MAX_LISTED_REJECTS * (MAX_ANSWER_ERROR_CHARS + 100));
      expect(s.all()).toHaveLength(5000);
      expect(new Set(s.all().map((k) => k.path)).size).toBe(5000);
      expect(Math.max(...s.kept.map((c) => c.length))).toBeLessThanOrEqual(2000);
      expect(s.kept.length).toBeGreaterThan(1);
      expect(await s.counter('agentwatch_events_rejected_total')).toBe(5000);
    });
  }

  it('a huge bad value is never echoed: answer errors are cut to MAX_ANSWER_ERROR_CHARS, kept raw to MAX_KEPT_RAW_BYTES', async () => {
    const s = server();
    const huge = JSON.stringify({ ...toolCall('h', '2026-11-02T09:00:00Z'), kind: 'k'.repeat(500_000), event_id: 'e'.repeat(500_000) });
    const r = await s.post([huge, line('ok')].join('\n'));
    expect(r.statusCode).toBe(202);
    expect(r.json().rejected[0].error.length).toBeLessThanOrEqual(MAX_ANSWER_ERROR_CHARS);
    expect(r.payload.length).toBeLessThan(2000);
    const kept = s.all()[0];
    expect(kept?.raw.length).toBeLessThanOrEqual(MAX_KEPT_RAW_BYTES);
    expect(kept?.rawBytes).toBe(Buffer.byteLength(huge));
  });

  it('more events than maxEventsPerRequest: the first are read, the rest of the body is one kept rejection', async () => {
    const s = server({ maxEventsPerRequest: 10 });
    const lines = Array.from({ length: 25 }, (_, i) => line(`m${i}`, i));
    const r = await s.post(lines.join('\n'));
    expect(r.statusCode).toBe(202);
    expect(r.json()).toMatchObject({ accepted: 10, rejected_count: 1, rejected: [{ line: 11, error: expect.stringMatching(/more than 10 events/) }] });
    expect(s.all()).toEqual([expect.objectContaining({ path: 'line 11 to the end', rawBytes: Buffer.byteLength(lines.slice(10).join('\n')) })]);
  });

  it('bad records among good ones: every good one accepted in order, every bad one reported at its line', async () => {
    const s = server({ ingestSliceEvents: 3 });
    const body = [line('g1'), '{', line('g2', 1), '[]', '', line('g3', 2), '"str"', line('g4', 3), line('g5', 4), 'null'];
    const r = await s.post(body.join('\n'));
    expect(r.statusCode).toBe(202);
    expect(r.json()).toMatchObject({ accepted: 5, rejected_count: 4 });
    expect(r.json().rejected.map((x: { line: number }) => x.line)).toEqual([2, 4, 7, 10]);
    expect(s.rec.items.map((i) => ('event' in i ? i.event.event_id : ''))).toEqual(['g1', 'g2', 'g3', 'g4', 'g5']);
  });

  it('refusals from ingest are reported, mapped back to their body line across slices, and kept once (by the ingest)', async () => {
    const s = server({
      ingestSliceEvents: 2,
      ingest: async (items) => ({ accepted: items.length - 1, rejected: [{ line: items.length, error: 'duplicate' }] }),
    });
    const r = await s.post([line('a'), line('b', 1), 'junk', line('c', 2), line('d', 3)].join('\n'));
    expect(r.statusCode).toBe(202);
    expect(r.json()).toMatchObject({ accepted: 2, rejected_count: 3 });
    expect(r.json().rejected).toEqual([
      { line: 2, error: 'duplicate' },
      { line: 3, error: expect.stringMatching(/JSON/) },
      { line: 5, error: 'duplicate' },
    ]);
    expect(
      s
        .all()
        .map((k) => k.path)
        .sort(),
    ).toEqual(['line 3']);
  });

  it('keeping the rejects failing is a retryable 503, not a lost rejection', async () => {
    const s = server({
      keepRejected: async () => {
        throw new Error('store down');
      },
    });
    const r = await s.post([line('a'), 'junk'].join('\n'));
    expect(r.statusCode).toBe(503);
    expect(r.headers['retry-after']).toBe('1');
    expect(s.rec.items).toHaveLength(0);
  });

  it('kept records reach the store (rejected_records) with their full size when no keeper is given', async () => {
    const s = server({ keepRejected: undefined as never });
    const big = bigEvent('stored-big', MAX_EVENT_BYTES);
    const r = await s.post(`[${big},${line('s1')}]`, 'application/json');
    expect(r.statusCode).toBe(202);
    const rows = await store.queryRejectedRecords({ source: 'http_events' });
    const row = rows.find((x) => x.path === 'element 1');
    expect(row).toMatchObject({ format: 'json', rawBytes: Buffer.byteLength(big) });
    expect(row?.raw.length).toBeLessThanOrEqual(MAX_KEPT_RAW_BYTES);
  });
});

describe('POST /v1/traces: the per-event limit applies to mapped spans', () => {
  it('a span wider than the canonical limits (adapter at its widest options) is mapped with its attributes cut to them, under MAX_EVENT_BYTES', async () => {
    // The adapters fit attributes to EVENT_LIMITS (common.ts), so a mapped event cannot pass the per-event limit any
    // more; the route's own size check stays as a second line.
    const s = server({ tracesBodyLimit: 8 * 1024 * 1024, otlpAdapter: createOtlpAdapter({ maxAttributes: 1000, maxAttributeChars: 65_536 }) });
    const wide = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`wide.${i}`, 'W'.repeat(60_000)]));
    const spans = recordSpans({ 'service.name': 'hostile-agents' }, (tracer) =>
      agentRun(tracer, { 'gen_ai.agent.name': 'hostile-bot' }, [
        { tool: 'tool.wide', at: 1, ms: 1, attributes: wide },
        { tool: 'tool.ok', at: 2, ms: 1 },
      ]),
    );
    const r = await s.app.inject({
      method: 'POST',
      url: '/v1/traces',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: Buffer.from(toJsonBytes(spans)),
    });
    expect(r.statusCode).toBe(200);
    const events = s.rec.items.flatMap((i) => ('event' in i ? [i.event as CanonicalEvent] : []));
    expect(events.map((e) => (e.kind === 'tool_call' ? e.tool : e.kind))).toEqual(['tool.wide', 'tool.ok']);
    const [wideEvent] = events;
    expect(Buffer.byteLength(JSON.stringify(wideEvent))).toBeLessThan(MAX_EVENT_BYTES);
    for (const v of Object.values(wideEvent?.attributes ?? {})) expect(v.length).toBeLessThanOrEqual(EVENT_LIMITS.attributeValue);
  });
});
