import { MAX_REJECTED_RAW_CHARS, type RejectedRecord } from '@agentwatch/store';

/** At most this many rejections are listed in an answer; `rejected_count` has them all. */
export const MAX_LISTED_REJECTS = 100;
/** Longest error text in an answer (longer ones are cut and end in `...`): an error never echoes a huge input. */
export const MAX_ANSWER_ERROR_CHARS = 300;
/** Longest reason kept with a rejected record. */
export const MAX_KEPT_REASON_CHARS = 2000;
/** Longest raw text kept per rejected record, in bytes of the record as received (its full size is kept beside it). */
export const MAX_KEPT_RAW_BYTES = MAX_REJECTED_RAW_CHARS;
/** Rejected records are handed to the keeper in chunks of at most this many records or raw bytes (memory stays flat). */
const KEEP_CHUNK_RECORDS = 2000;
const KEEP_CHUNK_BYTES = 1024 * 1024;

/**
 * `text` cut to `max` characters, as a new flat string: a slice of a huge string would keep the huge string alive
 * for as long as the slice lives (V8 sliced strings), which is what an error list held for a request must not do.
 */
export function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  return Buffer.from(`${text.slice(0, max - 3)}...`, 'utf8').toString('utf8');
}

/** The first {@link MAX_KEPT_RAW_BYTES} bytes of a record as text (a fresh string, never a view of the body). */
export function rawText(bytes: Buffer): string {
  return bytes.subarray(0, Math.min(bytes.length, MAX_KEPT_RAW_BYTES)).toString('utf8');
}

/** Keeping rejected records failed (store or DLQ unreachable): the request is answered 503, retryable. */
export class KeepRejectedError extends Error {
  constructor(override readonly cause: unknown) {
    super(`keeping the rejected records failed: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'KeepRejectedError';
  }
}

export interface Rejection {
  /** 1-based: the NDJSON line, the JSON array position (or, for OTLP, the span's place in the answer's order). */
  line: number;
  error: string;
  /** Where inside the body ('' when the line says it all). */
  path: string;
}

export interface RejectInput {
  line: number;
  error: string;
  /** Where inside the body (`line 12`, `element 3`, an OTLP span path). */
  path: string;
  /** The record's text, already cut to at most {@link MAX_KEPT_RAW_BYTES} bytes. */
  raw: string;
  /** Its size as received, in bytes. */
  rawBytes: number;
}

export interface RejectKeeperOptions {
  /** Where rejected records are kept: the store's `rejected_records`, or the DLQ topic with Kafka. */
  keep: (records: RejectedRecord[]) => Promise<void>;
  source: string;
  format: string;
  receivedAtMs: number;
}

/**
 * Counts every rejection of one request, lists the first {@link MAX_LISTED_REJECTS} for the answer (errors cut to
 * {@link MAX_ANSWER_ERROR_CHARS}), and keeps every one through `keep` in bounded chunks as they come, so a body of a
 * million bad lines is kept whole in constant memory. `add` awaits a chunk being kept (back-pressure on the parser).
 */
export class RejectKeeper {
  count = 0;
  readonly listed: Rejection[] = [];
  private pending: RejectedRecord[] = [];
  private pendingBytes = 0;

  constructor(private readonly opts: RejectKeeperOptions) {}

  async add(r: RejectInput): Promise<void> {
    this.count++;
    if (this.listed.length < MAX_LISTED_REJECTS) this.listed.push({ line: r.line, error: clipText(r.error, MAX_ANSWER_ERROR_CHARS), path: r.path });
    this.pending.push({
      source: this.opts.source,
      format: this.opts.format,
      reason: clipText(r.error, MAX_KEPT_REASON_CHARS),
      path: r.path,
      raw: r.raw,
      rawBytes: r.rawBytes,
      receivedAtMs: this.opts.receivedAtMs,
    });
    this.pendingBytes += r.raw.length + 200;
    if (this.pending.length >= KEEP_CHUNK_RECORDS || this.pendingBytes >= KEEP_CHUNK_BYTES) await this.flush();
  }

  /** Counts and lists a rejection that is already kept elsewhere (a row the store refused: the pipeline kept it). */
  report(r: { line: number; error: string; path: string }): void {
    this.count++;
    if (this.listed.length < MAX_LISTED_REJECTS) this.listed.push({ line: r.line, error: clipText(r.error, MAX_ANSWER_ERROR_CHARS), path: r.path });
  }

  /** Keeps what is queued; call before answering (a rejection is never reported before it is kept). */
  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const chunk = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    try {
      await this.opts.keep(chunk);
    } catch (err) {
      throw new KeepRejectedError(err);
    }
  }
}
