import protobuf from 'protobufjs';
import { TRACE_PROTO_DESCRIPTOR } from './trace-proto-descriptor.ts';

const root = protobuf.Root.fromJSON(TRACE_PROTO_DESCRIPTOR);
const ExportTraceServiceResponse = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse');
const Status = root.lookupType('google.rpc.Status');

/** OTLP/HTTP answers in the request's encoding: protobuf for a protobuf body, JSON otherwise. */
export type OtlpEncoding = 'protobuf' | 'json';

/** The encoding of a request with this Content-Type (parameters ignored): `protobuf` or `json`. */
export function otlpEncodingOf(contentType: string | undefined): OtlpEncoding {
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return mediaType === 'application/x-protobuf' || mediaType === 'application/protobuf' ? 'protobuf' : 'json';
}

/** Some spans were not accepted: how many, and why (OTLP `ExportTracePartialSuccess`). */
export interface OtlpPartialSuccess {
  rejectedSpans: number;
  errorMessage: string;
}

/**
 * The body of a 200 answer to `POST /v1/traces` (an `ExportTraceServiceResponse`). Full success leaves
 * `partial_success` unset, as the OTLP spec asks: an empty protobuf message, `{}` in JSON. JSON writes
 * `rejectedSpans` (int64) as a decimal string, per the proto3 JSON mapping OTLP/JSON follows.
 */
export function encodeExportTraceResponse(partial: OtlpPartialSuccess | null, encoding: OtlpEncoding): Uint8Array | Record<string, unknown> {
  if (encoding === 'json') {
    return partial ? { partialSuccess: { rejectedSpans: String(partial.rejectedSpans), errorMessage: partial.errorMessage } } : {};
  }
  const message = ExportTraceServiceResponse.fromObject(partial ? { partialSuccess: partial } : {});
  return ExportTraceServiceResponse.encode(message).finish();
}

/** gRPC status codes for the HTTP errors `POST /v1/traces` answers (OTLP clients log them; they act on the HTTP status). */
const GRPC_CODE: Record<number, number> = { 400: 3, 401: 16, 403: 7, 404: 5, 413: 8, 415: 3, 429: 8, 500: 13, 503: 14 };

/**
 * An OTLP/HTTP error body (`google.rpc.Status`): protobuf for a protobuf request; in JSON `{code, message}`
 * (the caller may add fields, e.g. api.md's `error` object).
 */
export function encodeOtlpStatus(httpStatus: number, message: string, encoding: OtlpEncoding): Uint8Array | { code: number; message: string } {
  const code = GRPC_CODE[httpStatus] ?? 2;
  if (encoding === 'json') return { code, message };
  return Status.encode(Status.fromObject({ code, message })).finish();
}
