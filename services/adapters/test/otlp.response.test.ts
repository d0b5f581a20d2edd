import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { decodeOtlpTraceBody, encodeExportTraceResponse, encodeOtlpStatus, otlpEncodingOf } from '../src/otlp/index.ts';
import { readSample } from './otlp-fixtures.ts';

/** The POST /v1/traces answers, read back by the OpenTelemetry JS exporter's own response deserializers. */
describe('OTLP/HTTP responses', () => {
  it('answers in the request encoding', () => {
    expect(otlpEncodingOf('application/x-protobuf')).toBe('protobuf');
    expect(otlpEncodingOf('application/protobuf; charset=binary')).toBe('protobuf');
    expect(otlpEncodingOf('application/json; charset=utf-8')).toBe('json');
    expect(otlpEncodingOf(undefined)).toBe('json');
  });

  it('full success: partial_success unset (an empty message, {} in JSON)', () => {
    const bytes = encodeExportTraceResponse(null, 'protobuf') as Uint8Array;
    expect(bytes.length).toBe(0);
    expect(ProtobufTraceSerializer.deserializeResponse(bytes)).toEqual({});
    expect(encodeExportTraceResponse(null, 'json')).toEqual({});
  });

  it('partial success: rejectedSpans and errorMessage, as the OTel exporter reads them', () => {
    const partial = { rejectedSpans: 2, errorMessage: '2 of 5 spans rejected: agent: no agent id' };
    const fromProtobuf = ProtobufTraceSerializer.deserializeResponse(encodeExportTraceResponse(partial, 'protobuf') as Uint8Array);
    expect(Number(fromProtobuf.partialSuccess?.rejectedSpans)).toBe(2);
    expect(fromProtobuf.partialSuccess?.errorMessage).toBe(partial.errorMessage);
    const json = new TextEncoder().encode(JSON.stringify(encodeExportTraceResponse(partial, 'json')));
    expect(JsonTraceSerializer.deserializeResponse(json)).toEqual({ partialSuccess: { rejectedSpans: '2', errorMessage: partial.errorMessage } });
  });

  it('errors are a google.rpc.Status (field 1 code, field 2 message)', () => {
    const Status = protobuf.Root.fromJSON({
      nested: { Status: { fields: { code: { type: 'int32', id: 1 }, message: { type: 'string', id: 2 } } } },
    }).lookupType('Status');
    const decoded = Status.toObject(Status.decode(encodeOtlpStatus(400, 'invalid OTLP/protobuf body', 'protobuf') as Uint8Array));
    expect(decoded).toEqual({ code: 3, message: 'invalid OTLP/protobuf body' });
    expect(encodeOtlpStatus(503, 'retry', 'json')).toEqual({ code: 14, message: 'retry' });
  });

  it('a JSON body that is an any-agent trace reaches the adapter as it is; {} is an empty export', () => {
    const sample = readSample('any-agent_OPENAI_trace.json');
    const decoded = decodeOtlpTraceBody(new TextEncoder().encode(JSON.stringify(sample)), 'application/json') as Record<string, unknown>;
    expect(decoded['resourceSpans']).toBeUndefined();
    expect(decoded['spans']).toEqual(sample['spans']);
    expect(decodeOtlpTraceBody(new TextEncoder().encode('{}'), 'application/json')).toEqual({ resourceSpans: [] });
  });
});
