import { type CanonicalEvent, SOURCE_FORMATS } from '@agentwatch/schemas';

/** Source formats with an adapter (cli.md `--input-format`, minus `auto` and `canonical`); the config schema's list. */
export const ADAPTER_FORMATS = SOURCE_FORMATS;
export type AdapterFormat = (typeof ADAPTER_FORMATS)[number];

/** One source record that could not be mapped, and why (goes to the rejects file / DLQ, never dropped). */
export interface AdapterReject {
  /** Plain-language reason naming the field that was wrong, e.g. `eventTime: expected an ISO-8601 time, got 42`. */
  reason: string;
  /** Where inside the record, when one record holds many (e.g. `resourceSpans[0].scopeSpans[1].spans[3]`). */
  path?: string;
}

/**
 * What one source record became. A record may yield several events (an OTLP export holds many spans),
 * some rejects, or nothing at all on purpose (`skipped`: e.g. a Vault request line whose response line
 * carries the outcome, or an OTel `chat` span that is not a tool call). Skips are counted, never silent.
 */
export interface AdapterResult {
  events: CanonicalEvent[];
  rejects: AdapterReject[];
  /** Number of sub-records deliberately not mapped, with the reason for the first one. */
  skipped: number;
  skipReason?: string;
}

/**
 * Turns decoded source records into canonical events. `map` is pure apart from the adapter's own pairing
 * state (MCP pairs requests with responses); no I/O, no clocks. It never throws on bad input: it rejects.
 */
export interface RecordAdapter {
  readonly format: AdapterFormat;
  /** Maps one decoded JSON record (an object from a line, an array element or a `Records` entry). */
  map(record: unknown): AdapterResult;
  /** End of input: whatever is still held (e.g. MCP requests that never got a response). */
  flush(): AdapterResult;
}
