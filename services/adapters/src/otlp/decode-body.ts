import { isObject } from '../common.ts';
import type { AdapterResult, RecordAdapter } from '../types.ts';
import { decodeOtlpTraceProtobuf, OtlpDecodeError } from './decode-protobuf.ts';

const PROTOBUF_TYPES = new Set(['application/x-protobuf', 'application/protobuf']);
const JSON_TYPES = new Set(['application/json']);

/**
 * Decodes an OTLP/HTTP `POST /v1/traces` body by its Content-Type (parameters such as `charset` ignored):
 * `application/x-protobuf` -> {@link decodeOtlpTraceProtobuf}, `application/json` -> UTF-8 JSON. The body
 * must already be uncompressed (Content-Encoding is the HTTP layer's job). Throws {@link OtlpDecodeError}:
 * 415 for another content type, 400 for a body that does not decode to an object.
 */
export function decodeOtlpTraceBody(body: Uint8Array, contentType: string | undefined): unknown {
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (PROTOBUF_TYPES.has(mediaType)) return decodeOtlpTraceProtobuf(body);
  if (!JSON_TYPES.has(mediaType)) {
    throw new OtlpDecodeError(
      `unsupported content type ${JSON.stringify(contentType ?? '')}: OTLP/HTTP traces are application/x-protobuf or application/json`,
      415,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch (error) {
    throw new OtlpDecodeError(`invalid OTLP/JSON body: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!isObject(value)) throw new OtlpDecodeError('invalid OTLP/JSON body: expected an ExportTraceServiceRequest object');
  // `{}` is a valid empty export (every OTLP field is optional): read it as "no spans", not "not OTLP". An any-agent
  // trace (`{"spans": [...]}`, which the adapter also reads) is left as it is.
  if (value['resourceSpans'] === undefined && value['resource_spans'] === undefined && value['spans'] === undefined) value['resourceSpans'] = [];
  return value;
}

/**
 * `POST /v1/traces` in one call: body -> decode -> adapter.map. Throws {@link OtlpDecodeError} only for a body
 * that cannot be decoded; spans that cannot be mapped come back as rejects (OTLP partial success).
 */
export function mapOtlpTraceRequest(adapter: RecordAdapter, body: Uint8Array, contentType: string | undefined): AdapterResult {
  return adapter.map(decodeOtlpTraceBody(body, contentType));
}
