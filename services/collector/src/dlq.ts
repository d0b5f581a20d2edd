import type { IHeaders, Message } from 'kafkajs';

/** Longest reason in `x-agentwatch-error` (longer ones are cut): a reason never carries a huge input along. */
export const DLQ_MAX_REASON_CHARS = 2000;

/** An oversized value is kept in the DLQ as its first this-many bytes (header x-agentwatch-original-bytes has the size). */
export const DLQ_MAX_VALUE_BYTES = 64 * 1024;

/** Where a dead-lettered record was read: a Kafka message, or another entry point (`source`, e.g. `otlp_http`). */
export type DlqOrigin = { topic: string; partition: number; offset: string } | { source: string };

export interface DlqEntry {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  /** Why it was not accepted (header x-agentwatch-error). */
  reason: string;
  origin: DlqOrigin;
  /** Values longer than this (and than {@link DLQ_MAX_VALUE_BYTES}) are cut to DLQ_MAX_VALUE_BYTES; default: never cut. */
  truncateAbove?: number;
  /** The record's size as received when `value` was already cut by the caller (header x-agentwatch-original-bytes). */
  originalBytes?: number;
  /** More `x-agentwatch-*` headers (format, record index, path inside the record ...). */
  headers?: Record<string, string>;
}

/**
 * One DLQ message: the record as it came (cut when oversized), the reason in `x-agentwatch-error`, and where it
 * came from in `x-agentwatch-source-topic` / `-partition` / `-offset` (or `x-agentwatch-source`). Pure.
 */
export function dlqMessage(entry: DlqEntry): Message {
  const value = typeof entry.value === 'string' ? Buffer.from(entry.value) : entry.value;
  const limit = entry.truncateAbove ?? Number.POSITIVE_INFINITY;
  const oversized = value !== null && value.length > DLQ_MAX_VALUE_BYTES && value.length > limit;
  const reason = entry.reason.length > DLQ_MAX_REASON_CHARS ? `${entry.reason.slice(0, DLQ_MAX_REASON_CHARS - 3)}...` : entry.reason;
  const headers: IHeaders = { 'x-agentwatch-error': reason };
  if ('topic' in entry.origin) {
    headers['x-agentwatch-source-topic'] = entry.origin.topic;
    headers['x-agentwatch-source-partition'] = String(entry.origin.partition);
    headers['x-agentwatch-source-offset'] = entry.origin.offset;
  } else {
    headers['x-agentwatch-source'] = entry.origin.source;
  }
  for (const [k, v] of Object.entries(entry.headers ?? {})) headers[k] = v;
  if (oversized) {
    headers['x-agentwatch-truncated'] = 'true';
    headers['x-agentwatch-original-bytes'] = String(value.length);
  } else if (entry.originalBytes !== undefined && value !== null && entry.originalBytes > value.length) {
    headers['x-agentwatch-truncated'] = 'true';
    headers['x-agentwatch-original-bytes'] = String(entry.originalBytes);
  }
  return { key: entry.key ?? null, value: oversized ? value.subarray(0, DLQ_MAX_VALUE_BYTES) : value, headers };
}
