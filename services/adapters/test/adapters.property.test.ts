// Properties every adapter keeps for any input (fast-check, seeded and time-boxed: test/support/properties.ts):
// map and flush never throw; every record is accounted for (mapped to events, rejected with a reason, or counted as
// skipped); every event it produces is a valid canonical event. Inputs: arbitrary JSON, and the real samples of
// ../shared/samples (read in place) mutated at random paths with hostile values. Protobuf decoding of POST /v1/traces
// bodies: arbitrary and mutated bytes either decode or fail with OtlpDecodeError, never another error.
import { readFileSync } from 'node:fs';
import { parseEvent } from '@agentwatch/schemas';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyParams } from '../../../test/support/properties.ts';
import { type AdapterFormat, type AdapterResult, createAdapter, decodeOtlpTraceBody, OtlpDecodeError } from '../src/index.ts';
import { HOSTILE_VALUES } from './fuzz.ts';
import { grantEvent } from './okta-fixtures.ts';
import { agentRun, recordSpans, toProtobuf } from './otlp-fixtures.ts';

const SAMPLES = new URL('../../../../shared/samples/', import.meta.url);
const text = (path: string): string => readFileSync(new URL(path, SAMPLES), 'utf8');
const lines = (path: string): unknown[] =>
  text(path)
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as unknown);
const array = (path: string): unknown[] => {
  const v = JSON.parse(text(path)) as unknown;
  if (Array.isArray(v)) return v;
  const records = (v as { Records?: unknown[] }).Records;
  return Array.isArray(records) ? records : [v];
};

/** The real source records of each format (one array element, NDJSON line or file each). */
const RECORDS: Record<AdapterFormat, unknown[]> = {
  otlp: [...array('otel-genai/any-agent_OPENAI_trace.json'), ...array('otel-genai/any-agent_GOOGLE_trace.json')],
  vault: lines('vault-audit/elastic_hashicorp_vault_test-audit.log'),
  cloudtrail: [
    ...array('aws-cloudtrail/stratus_aws.persistence.sts-federation-token.json'),
    ...array('aws-cloudtrail/stratus_aws.defense-evasion.organizations-leave.json'),
  ],
  okta: lines('okta-system-log/elastic_okta_test-okta-system-events.log'),
  opa: [...lines('opa-decision-logs/osm_opa-envoy-plugin_decision-logs.jsonl'), ...array('opa-decision-logs/opa-docs_decision-log-upload-example.json')],
  mcp: [
    ...array('mcp/CallToolRequest_call-tool-request.json'),
    ...array('mcp/CallToolResultResponse_call-tool-result-response.json'),
    ...array('mcp/CallToolResult_invalid-tool-input-error.json'),
  ],
};

const mcpSample = (name: string) => array(`mcp/${name}`)[0];
/**
 * Records the samples alone do not map to events (the Okta sample is all sign-ins; MCP messages need the envelope a
 * gateway logs): a token grant and a wrapped request/response pair, so the properties reach the mapping code too.
 */
const MAPPABLE: Partial<Record<AdapterFormat, unknown[]>> = {
  okta: [grantEvent({ uuid: 'u-1', published: '2026-11-02T09:00:00.000Z', clientId: '0oa1agents000000001', tokenId: 't-1' })],
  mcp: [
    { time: '2026-11-02T09:00:00.000Z', session_id: 's-1', direction: 'client_to_server', message: mcpSample('CallToolRequest_call-tool-request.json') },
    {
      time: '2026-11-02T09:00:01.250Z',
      session_id: 's-1',
      direction: 'server_to_client',
      message: mcpSample('CallToolResultResponse_call-tool-result-response.json'),
    },
  ],
};
for (const [format, extra] of Object.entries(MAPPABLE)) RECORDS[format as AdapterFormat].push(...extra);

/** Adapter options: OSM's Envoy decisions carry no principal, so name agents by a header or the source address. */
const OPTIONS: Partial<Record<AdapterFormat, Record<string, unknown>>> = {
  opa: { agentPaths: ['input.attributes.request.http.headers["client-app"]', 'input.attributes.source.address.socketAddress.address'] },
};

/** Values that look almost right somewhere: the shared hostile set plus near-miss times, ids and numbers. */
const hostile: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...HOSTILE_VALUES),
  fc.constantFrom('9999-12-31T23:59:59Z', '0000-01-01T00:00:00Z', '2026-02-30T00:00:00Z', '1e400', '\ud800', 'a\u0000b', -0, 2 ** 64, '0x1f'),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.jsonValue({ maxDepth: 2 }),
);

/** One edit of a record: a path chosen by `steps` (each picks a key or index), then set, delete or add. */
const edit = fc.record({ steps: fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), op: fc.constantFrom('set', 'delete', 'add'), value: hostile });
type Edit = { steps: number[]; op: 'set' | 'delete' | 'add'; value: unknown };

function applyEdit(root: unknown, e: Edit): unknown {
  if (typeof root !== 'object' || root === null) return e.value;
  let cur = root as Record<string, unknown>;
  for (let i = 0; i < e.steps.length; i++) {
    const keys = Object.keys(cur);
    if (keys.length === 0) break;
    const key = keys[(e.steps[i] as number) % keys.length] as string;
    const next = cur[key];
    const last = i === e.steps.length - 1 || typeof next !== 'object' || next === null;
    if (last) {
      if (e.op === 'delete') delete cur[key];
      else if (e.op === 'add') cur[`extra_${i}`] = e.value;
      else cur[key] = e.value;
      break;
    }
    cur = next as Record<string, unknown>;
  }
  return root;
}

/** A real record of the format, mutated by 1..4 edits (sometimes none: the sample must map as it is too). */
const mutatedSample = (format: AdapterFormat): fc.Arbitrary<unknown> =>
  fc
    .tuple(fc.constantFrom(...RECORDS[format]), fc.array(edit, { maxLength: 4 }))
    .map(([record, edits]) => edits.reduce<unknown>((r, e) => applyEdit(r, e as Edit), structuredClone(record)));

const anyRecord = (format: AdapterFormat): fc.Arbitrary<unknown> => fc.oneof({ weight: 3, arbitrary: mutatedSample(format) }, fc.jsonValue({ maxDepth: 4 }));

/** Checks one result: valid events, reasons on rejects, a sane skip count. Returns how many outcomes it holds. */
function checkResult(format: AdapterFormat, r: AdapterResult): number {
  for (const e of r.events) {
    const parsed = parseEvent(e);
    if (!parsed.ok) throw new Error(`${format}: produced an event the canonical schema rejects: ${JSON.stringify(e)}\n${JSON.stringify(parsed.problems)}`);
  }
  for (const x of r.rejects) expect(typeof x.reason === 'string' && x.reason.trim().length > 0, `${format}: a reject without a reason`).toBe(true);
  expect(Number.isInteger(r.skipped) && r.skipped >= 0, `${format}: skipped ${r.skipped}`).toBe(true);
  if (r.skipped > 0) expect(typeof r.skipReason, `${format}: skipped without a reason`).toBe('string');
  return r.events.length + r.rejects.length + r.skipped;
}

const FORMATS = Object.keys(RECORDS) as AdapterFormat[];

describe('adapters (property): any input is mapped, rejected with a reason or counted as skipped, never thrown', () => {
  it('the samples are there to mutate', () => {
    for (const f of FORMATS) expect(RECORDS[f].length, f).toBeGreaterThan(0);
  });

  it.each(FORMATS)('%s', (format) => {
    let events = 0;
    fc.assert(
      fc.property(fc.array(anyRecord(format), { minLength: 1, maxLength: 5 }), (records) => {
        const adapter = createAdapter(format, OPTIONS[format]);
        let outcomes = 0;
        for (const record of records) {
          const r = adapter.map(record);
          const n = checkResult(format, r);
          events += r.events.length;
          // OTLP: one record is an export holding any number of spans (an empty export holds none).
          // MCP: a request is held until its response (or flush), so it is counted below.
          if (format !== 'otlp' && format !== 'mcp') expect(n, `${format}: a record vanished: ${JSON.stringify(record)?.slice(0, 300)}`).toBeGreaterThan(0);
          outcomes += n;
        }
        outcomes += checkResult(format, adapter.flush());
        if (format === 'mcp') expect(outcomes, 'mcp: every record (held or not) is accounted for by the flush').toBeGreaterThanOrEqual(records.length);
      }),
      propertyParams(250, 6),
    );
    // The mutated samples still reach the mapping code, not only its first guard.
    expect(events, `${format}: no event produced in the whole run`).toBeGreaterThan(0);
  });
});

describe('OTLP body decoding (property)', () => {
  const PROTO = toProtobuf(
    recordSpans({ 'service.name': 'agent-host' }, (tracer) =>
      agentRun(tracer, { 'gen_ai.agent.name': 'invoice-bot', 'gen_ai.agent.id': 'asst_1' }, [{ tool: 'erp.invoice.read', at: 5, ms: 20 }]),
    ),
  );
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 300 }),
    // A real export with bytes flipped, cut or appended.
    fc
      .tuple(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat(), fc.uint8Array({ maxLength: 20 }))
      .map(([flips, cut, tail]) => {
        const b = Uint8Array.from(PROTO);
        for (const [at, v] of flips) b[at % b.length] = v;
        return Uint8Array.from([...b.subarray(0, b.length - (cut % 8)), ...tail]);
      }),
  );

  it('protobuf: decodes or throws OtlpDecodeError (400), and what decodes maps without throwing', () => {
    fc.assert(
      fc.property(bytes, (body) => {
        let request: unknown;
        try {
          request = decodeOtlpTraceBody(body, 'application/x-protobuf');
        } catch (e) {
          expect(e).toBeInstanceOf(OtlpDecodeError);
          expect((e as OtlpDecodeError).httpStatus).toBe(400);
          return;
        }
        checkResult('otlp', createAdapter('otlp').map(request));
      }),
      propertyParams(1500, 6),
    );
  });

  it('JSON: any bytes decode to an object or throw OtlpDecodeError (400)', () => {
    const jsonish = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.jsonValue({ maxDepth: 3 }).map((v) => new TextEncoder().encode(JSON.stringify(v))),
    );
    fc.assert(
      fc.property(jsonish, (body) => {
        try {
          checkResult('otlp', createAdapter('otlp').map(decodeOtlpTraceBody(body, 'application/json')));
        } catch (e) {
          expect(e).toBeInstanceOf(OtlpDecodeError);
          expect((e as OtlpDecodeError).httpStatus).toBe(400);
        }
      }),
      propertyParams(1500, 6),
    );
  });
});
