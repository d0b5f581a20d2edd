export { createOtlpAdapter, detectOtlp } from './adapter.ts';
export { decodeOtlpTraceBody, mapOtlpTraceRequest } from './decode-body.ts';
export { decodeOtlpTraceProtobuf, OtlpDecodeError } from './decode-protobuf.ts';
export { encodeExportTraceResponse, encodeOtlpStatus, type OtlpEncoding, type OtlpPartialSuccess, otlpEncodingOf } from './export-response.ts';
export { OtlpOptions, type OtlpOptionsInput } from './options.ts';
