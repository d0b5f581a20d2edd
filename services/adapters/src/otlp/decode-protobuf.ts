import protobuf from 'protobufjs';
import { isObject } from '../common.ts';
import { TRACE_PROTO_DESCRIPTOR } from './trace-proto-descriptor.ts';

/**
 * A request body that is not a decodable OTLP trace export. The HTTP layer answers `httpStatus`
 * (400 for a bad body, 415 for a content type OTLP/HTTP does not define).
 */
export class OtlpDecodeError extends Error {
  override readonly name = 'OtlpDecodeError';
  constructor(
    message: string,
    readonly httpStatus: 400 | 415 = 400,
  ) {
    super(message);
  }
}

const ExportTraceServiceRequest = protobuf.Root.fromJSON(TRACE_PROTO_DESCRIPTOR).lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');

/**
 * Decodes an OTLP/protobuf `ExportTraceServiceRequest` body into the OTLP/JSON shape the adapter maps:
 * lowerCamelCase field names, trace and span ids as lowercase hex, 64-bit integers (times, intValue) as
 * decimal strings, enums as numbers, `bytesValue` as base64, fields at their default value left out.
 * Throws {@link OtlpDecodeError} when the bytes are not a valid message (truncated, bad wire type, ...).
 */
export function decodeOtlpTraceProtobuf(bytes: Uint8Array): unknown {
  let decoded: Record<string, unknown>;
  try {
    const message = ExportTraceServiceRequest.decode(bytes);
    decoded = ExportTraceServiceRequest.toObject(message, { longs: String, enums: Number, bytes: String });
  } catch (error) {
    const reason =
      error instanceof RangeError && /call stack/i.test(error.message) ? 'nested too deeply' : error instanceof Error ? error.message : String(error);
    throw new OtlpDecodeError(`invalid OTLP/protobuf ExportTraceServiceRequest: ${reason}`);
  }
  // An empty export has no resource_spans on the wire; keep the key so it reads as "no spans", not "not OTLP".
  decoded['resourceSpans'] ??= [];
  idsToHex(decoded);
  return decoded;
}

/** protobufjs renders `bytes` as base64; OTLP/JSON wants trace and span ids as hex. */
function idsToHex(request: Record<string, unknown>): void {
  for (const rs of list(request['resourceSpans'])) {
    for (const ss of list(rs['scopeSpans'])) {
      for (const span of list(ss['spans'])) {
        convertIds(span, ['traceId', 'spanId', 'parentSpanId']);
        for (const link of list(span['links'])) convertIds(link, ['traceId', 'spanId']);
      }
    }
  }
}

function list(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v) ? v.filter(isObject) : [];
}

function convertIds(o: Record<string, unknown>, keys: readonly string[]): void {
  for (const key of keys) {
    const v = o[key];
    if (typeof v === 'string') o[key] = Buffer.from(v, 'base64').toString('hex');
  }
}
