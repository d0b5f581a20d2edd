import type { Field, SpanStatus } from './span-fields.ts';
import type { AttrMap } from './values.ts';

/**
 * One span, whichever JSON shape it came in (OTLP/JSON or any-agent), with each field already parsed or
 * carrying the reason it could not be. The mapper decides which problems matter: a chat span with a bad
 * timestamp is still just skipped.
 */
export interface SpanView {
  /** Where it sits in the record, for rejects: `resourceSpans[0].scopeSpans[1].spans[3]` or `spans[3]`. */
  path: string;
  name: string | undefined;
  traceId: Field<string>;
  spanId: Field<string>;
  /** Undefined for a root span (or an unreadable parent id: then the chain simply ends). */
  parentSpanId: string | undefined;
  kind: string | undefined;
  start: Field<bigint>;
  end: Field<bigint>;
  status: Field<SpanStatus>;
  attributes: Field<AttrMap>;
  resource: AttrMap;
  scope: { name?: string; version?: string };
  /** Ids came from JSON numbers beyond 2^53 (any-agent): stable, but not the original ids. */
  idsLossy: boolean;
}

/** What a reader got from one record: the spans it could read, plus rejects for structure it could not. */
export interface ReadResult {
  spans: SpanView[];
  rejects: { reason: string; path: string }[];
}

export function fieldFrom<T>(v: T | string): Field<T> {
  return typeof v === 'string' ? { ok: false, reason: v } : { ok: true, value: v };
}
