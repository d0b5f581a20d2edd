import { parseEvent } from '@agentwatch/schemas';
import { describe, expect, it } from 'vitest';
import type { AdapterResult } from '../src/index.ts';
import { createOtlpAdapter, detectOtlp } from '../src/otlp/index.ts';
import { agentRun, agentSpan, otlpExport, otlpSpan, readSample, recordSpans, toJsonBytes, toolAttrs } from './otlp-fixtures.ts';

const adapter = createOtlpAdapter();

/** map must never throw, and whatever it emits must be canonical. */
function mapSafely(record: unknown): AdapterResult {
  let result: AdapterResult | undefined;
  expect(() => {
    result = adapter.map(record);
  }).not.toThrow();
  const r = result as AdapterResult;
  for (const e of r.events) expect(parseEvent(e).ok).toBe(true);
  for (const x of r.rejects) expect(typeof x.reason === 'string' && x.reason.length > 0).toBe(true);
  expect(() => detectOtlp(record)).not.toThrow();
  return r;
}

function nestedKvlist(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { stringValue: 'bottom' };
  for (let i = 0; i < depth; i++) value = { kvlistValue: { values: [{ key: `l${i}`, value }] } };
  return value;
}

describe('otlp adapter: hostile and malformed records', () => {
  it.each([
    ['null', null, 'record: expected an OTLP/JSON ExportTraceServiceRequest ({"resourceSpans": [...]}) or an any-agent trace ({"spans": [...]}), got null'],
    ['a number', 42, 'got 42'],
    ['a string', 'resourceSpans', 'got "resourceSpans"'],
    ['an array', [otlpExport([])], 'got an array'],
    ['an empty object', {}, 'got an object with keys (none)'],
    ['a canonical event', { kind: 'tool_call', event_id: 'e-1' }, 'got an object with keys "kind", "event_id"'],
    ['resourceSpans as a number', { resourceSpans: 5 }, 'resourceSpans: expected an array, got 5'],
    ['resourceSpans null', { resourceSpans: null }, 'resourceSpans: expected an array, got null'],
  ])('%s is one reject', (_name, record, reason) => {
    const r = mapSafely(record);
    expect(r.events).toEqual([]);
    expect(r.rejects).toHaveLength(1);
    expect(r.rejects[0]?.reason).toContain(reason);
  });

  it('any-agent spans with wrong types are rejected per span, naming the field', () => {
    const r = mapSafely({
      spans: [
        null,
        { context: { trace_id: 'abc', span_id: 1 }, attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 't' } },
        { context: { trace_id: 1, span_id: 2 }, start_time: -5, attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 't' } },
        {
          context: { trace_id: 1, span_id: 2 },
          start_time: 1,
          status: { status_code: 'maybe' },
          attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 't' },
        },
        { context: { trace_id: 1, span_id: 2 }, attributes: 'execute_tool' },
        { context: { trace_id: 1, span_id: 2 }, resource: { attributes: [] } },
      ],
    });
    // Structure problems found while reading come first, then the per-span ones.
    expect(r.rejects.map((x) => x.reason)).toEqual([
      'spans[0]: expected a span object, got null',
      'resource.attributes: expected an object of attributes, got an array',
      'context.trace_id: expected a non-zero 128-bit integer trace id, got "abc"',
      'start_time: expected nanoseconds since the epoch (a decimal string or integer), got -5',
      'status.status_code: expected 0, 1, 2 or STATUS_CODE_UNSET/OK/ERROR, got "maybe"',
      'attributes: expected an object of attributes, got "execute_tool"',
    ]);
    expect(r.rejects.map((x) => x.path)).toEqual(['spans[0]', 'spans[5]', 'spans[1]', 'spans[2]', 'spans[3]', 'spans[4]']);
  });

  it('decimal ids given as strings (lossless JSON readers) map to exact hex ids', () => {
    const r = mapSafely({
      spans: [
        {
          context: { trace_id: '100927429609276267646756448943279827607', span_id: '13687147528289423029' },
          start_time: '1758026593450406000',
          end_time: '1758026593452926000',
          status: { status_code: 'error', description: 'boom' },
          attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'write_file', 'gen_ai.agent.name': 'a' },
        },
      ],
    });
    expect(r.events[0]).toMatchObject({
      event_id: 'otel:4bedea77bb33b9c5f280371eae21ea97:bdf28428cc0e8eb5',
      outcome: 'failure',
      duration_ms: 2.52,
      attributes: { 'otel.status_description': 'boom' },
    });
    expect(r.events[0]?.attributes).not.toHaveProperty('agentwatch.ids_lossy');
  });

  it('deeply nested attribute values are summarised, not recursed into', () => {
    const span = otlpSpan(toolAttrs('t', { 'gen_ai.agent.id': 'a' }));
    (span['attributes'] as unknown[]).push({ key: 'deep', value: nestedKvlist(50_000) });
    const r = mapSafely(otlpExport([span]));
    expect(r.events[0]?.attributes?.['deep']).toContain('[nested too deep]');
  });

  it('a huge export with huge values stays bounded per event', () => {
    const spans = Array.from({ length: 2000 }, (_, i) =>
      otlpSpan(toolAttrs(`tool.${i}`, { 'gen_ai.agent.id': 'a', blob: 'x'.repeat(100_000) }), { spanId: (i + 1).toString(16).padStart(16, '0') }),
    );
    const r = mapSafely(otlpExport(spans));
    expect(r.events).toHaveLength(2000);
    const sizes = r.events.map((e) => JSON.stringify(e).length);
    expect(Math.max(...sizes)).toBeLessThan(4000);
  });

  it('a record whose getters throw is a reject, not an exception', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('gotcha');
        },
        ownKeys() {
          throw new Error('gotcha');
        },
      },
    );
    const r = adapter.map({ resourceSpans: [{ scopeSpans: [{ spans: [hostile] }] }] });
    expect(r.events).toEqual([]);
    expect(r.rejects).toEqual([{ reason: 'record could not be read: gotcha' }]);
  });

  it('flush has nothing to give (the adapter holds no state)', () => {
    expect(adapter.flush()).toEqual({ events: [], rejects: [], skipped: 0 });
  });
});

describe('otlp adapter: mutation fuzz', () => {
  const seeds: unknown[] = [
    readSample('any-agent_OPENAI_trace.json'),
    readSample('any-agent_GOOGLE_trace.json'),
    otlpExport([
      otlpSpan(toolAttrs('t', { 'gen_ai.conversation.id': 'c', 'error.type': '403' }), { status: { code: 2 } }),
      agentSpan({ 'gen_ai.agent.id': 'a' }),
    ]),
    JSON.parse(
      new TextDecoder().decode(
        toJsonBytes(recordSpans({ 'service.name': 'svc' }, (t) => agentRun(t, { 'gen_ai.agent.name': 'bot' }, [{ tool: 'x', at: 1, ms: 2 }]))),
      ),
    ),
  ];
  const HOSTILE: unknown[] = [
    null,
    0,
    -1,
    1e308,
    2 ** 64,
    1.5,
    '',
    'x'.repeat(20_000),
    'STATUS_CODE_ERROR',
    'execute_tool',
    true,
    [],
    {},
    [null],
    { stringValue: 7 },
    { intValue: 'NaN' },
  ];

  it('1500 random mutations of sample records never throw and only emit canonical events', () => {
    const rand = lcg(20261102);
    let events = 0;
    for (let i = 0; i < 1500; i++) {
      const record = structuredClone(seeds[i % seeds.length]);
      for (let m = 0, n = 1 + (rand() % 5); m < n; m++) mutate(record, rand, HOSTILE);
      events += mapSafely(record).events.length;
    }
    expect(events).toBeGreaterThan(500);
  });
});

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s >>> 8;
  };
}

/** Picks a random node in the JSON tree and replaces, deletes or duplicates one of its children. */
function mutate(root: unknown, rand: () => number, hostile: unknown[]): void {
  const containers: (Record<string, unknown> | unknown[])[] = [];
  const walk = (v: unknown, depth: number) => {
    if (depth > 12 || v === null || typeof v !== 'object') return;
    containers.push(v as Record<string, unknown> | unknown[]);
    for (const child of Object.values(v)) walk(child, depth + 1);
  };
  walk(root, 0);
  const target = containers[rand() % containers.length];
  if (target === undefined) return;
  const keys = Object.keys(target);
  if (keys.length === 0) return;
  const key = keys[rand() % keys.length] as string;
  const t = target as Record<string, unknown>;
  switch (rand() % 3) {
    case 0:
      t[key] = structuredClone(hostile[rand() % hostile.length]);
      break;
    case 1:
      if (Array.isArray(target)) target.splice(Number(key), 1);
      else delete t[key];
      break;
    default:
      if (Array.isArray(target)) target.push(structuredClone(target[Number(key)]));
      else t[`${key}_copy`] = structuredClone(t[key]);
  }
}
