import { setImmediate as nextTurn } from 'node:timers/promises';
import { createGunzip } from 'node:zlib';
import type { SourceItem } from '@agentwatch/detections';
import { MAX_EVENT_BYTES, parseEvent, problemsToString } from '@agentwatch/schemas';
import { ApiError } from './errors.ts';
import { jsonArraySplitter, ndjsonSplitter, type RecordSplitter, type SplitRecord } from './record-splitter.ts';
import { type RejectKeeper, rawText } from './reject-keeper.ts';

/**
 * POST /v1/events bodies, read as a stream: cut into records (NDJSON lines or JSON array elements) by
 * record-splitter.ts, each record decoded and validated on its own, with the same limits for both formats:
 * the body's size, each event's size ({@link MAX_EVENT_BYTES}) and the number of events per request. The work is cut
 * into slices of at most {@link SLICE_MS} that yield to the event loop, so a hostile body delays no other request
 * (/healthz) for long; every rejected record goes to the request's {@link RejectKeeper} as it is found.
 */

/** Most events (non-blank lines or array elements) read from one request; the rest of the body is one rejection. */
export const DEFAULT_MAX_EVENTS_PER_REQUEST = 100_000;
/** Longest run of parsing before other work on the event loop gets its turn. */
export const SLICE_MS = 10;
/** Bytes scanned per step (a body handed over in one piece, as `inject` does, is still cut). */
const WINDOW_BYTES = 256 * 1024;

export type EventsBodyFormat = 'ndjson' | 'json';

export interface EventsBodyLimits {
  /** Largest body, in bytes as received (after gunzip when `Content-Encoding: gzip`). */
  maxBodyBytes: number;
  /** Largest event (an NDJSON line or an array element), in bytes. */
  maxEventBytes: number;
  /** Most events per request. */
  maxEvents: number;
}

export interface ParsedItem {
  /** 1-based NDJSON line or array position. */
  line: number;
  item: SourceItem;
}

export interface EventsBodyResult {
  items: ParsedItem[];
  /** Records seen (valid or not; blank lines are not records). 0: an empty body. */
  records: number;
  /** The body itself is not NDJSON or a JSON array (a structural fault, not one bad event). */
  malformed: boolean;
}

/** Yields to the event loop once a slice of work has run for {@link SLICE_MS}. */
export class Slicer {
  private started = performance.now();
  async maybeYield(): Promise<void> {
    if (performance.now() - this.started < SLICE_MS) return;
    await nextTurn();
    this.started = performance.now();
  }
}

/** The media type's format: `application/x-ndjson` is NDJSON, anything else the route accepts (JSON) a JSON array. */
export function eventsBodyFormat(contentType: string | undefined): EventsBodyFormat {
  return (contentType ?? '').trim().toLowerCase().startsWith('application/x-ndjson') ? 'ndjson' : 'json';
}

/**
 * The request stream to read: inflated when `Content-Encoding: gzip` (the inflated size is what the body limit
 * counts), as it is for `identity` or none; 415 for any other encoding.
 */
export function decodedBody(stream: NodeJS.ReadableStream, encoding: string | undefined): AsyncIterable<Buffer> {
  const e = (encoding ?? '').trim().toLowerCase();
  if (e === '' || e === 'identity') return stream as AsyncIterable<Buffer>;
  if (e === 'gzip' || e === 'x-gzip') {
    const gunzip = createGunzip();
    stream.on('error', (err) => gunzip.destroy(err));
    return stream.pipe(gunzip);
  }
  throw new ApiError(415, 'unsupported_media_type', `unsupported Content-Encoding ${JSON.stringify(encoding)}: expected gzip or none`, [
    { header: 'content-encoding' },
  ]);
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** One record to an event or a reason. */
function parseRecord(r: SplitRecord, maxEventBytes: number): { event: SourceItem } | { error: string } {
  if (r.error !== undefined) return { error: r.error };
  if (r.oversized) return { error: `event of ${r.size} bytes is larger than ${maxEventBytes} bytes` };
  let text: string;
  try {
    text = UTF8.decode(r.bytes);
  } catch {
    return { error: 'not valid UTF-8' };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { error: `(root): not valid JSON: ${(e as Error).message}` };
  }
  const p = parseEvent(value);
  if (!p.ok) return { error: problemsToString(p.problems.slice(0, 20)) };
  return { event: { event: p.value, timeMs: Date.parse(p.value.time) } };
}

/**
 * Reads a POST /v1/events body to its end: valid events come back with their line; every rejected record has gone
 * to `rejects` (kept, counted, the first listed), including the part of the body past `maxEvents` (one rejection).
 * Throws {@link ApiError} 413 as soon as the body exceeds `maxBodyBytes` (nothing of it is then accepted).
 */
export async function readEventsBody(
  body: AsyncIterable<Buffer | string>,
  opts: { format: EventsBodyFormat; limits: EventsBodyLimits; rejects: RejectKeeper },
): Promise<EventsBodyResult> {
  const { format, limits, rejects } = opts;
  const splitter: RecordSplitter = format === 'ndjson' ? ndjsonSplitter(limits.maxEventBytes) : jsonArraySplitter(limits.maxEventBytes);
  const slicer = new Slicer();
  const items: ParsedItem[] = [];
  let records = 0;
  let malformed = false;
  let received = 0;
  /** Set once `maxEvents` records were read: the record past the cap (its start and first bytes). */
  let overflow: { position: number; start: number; raw: string } | null = null;
  const where = (position: number) => (format === 'ndjson' ? `line ${position}` : `element ${position}`);

  let batch: SplitRecord[] = [];
  const collect = (r: SplitRecord): void => {
    batch.push(r);
  };
  const drain = async (): Promise<void> => {
    const todo = batch;
    batch = [];
    for (const r of todo) {
      if (overflow) break;
      if (records >= limits.maxEvents) {
        overflow = { position: r.position, start: r.start, raw: rawText(r.bytes) };
        break;
      }
      records++;
      const parsed = parseRecord(r, limits.maxEventBytes);
      if ('event' in parsed) items.push({ line: r.position, item: parsed.event });
      else {
        if (r.error !== undefined) malformed = true;
        await rejects.add({ line: r.position, error: parsed.error, path: where(r.position), raw: rawText(r.bytes), rawBytes: r.size });
      }
      await slicer.maybeYield();
    }
  };

  for await (const piece of readable(body)) {
    const chunk = typeof piece === 'string' ? Buffer.from(piece) : piece;
    received += chunk.length;
    if (received > limits.maxBodyBytes) throw new ApiError(413, 'payload_too_large', `the body is larger than ${limits.maxBodyBytes} bytes`);
    if (overflow) continue; // past the cap: the rest is only counted
    for (let at = 0; at < chunk.length && !overflow; at += WINDOW_BYTES) {
      splitter.push(chunk.subarray(at, Math.min(chunk.length, at + WINDOW_BYTES)), collect);
      await drain();
      await slicer.maybeYield();
    }
  }
  if (!overflow) {
    splitter.end(collect);
    await drain();
  }
  const over = overflow as { position: number; start: number; raw: string } | null;
  if (over) {
    await rejects.add({
      line: over.position,
      error: `more than ${limits.maxEvents} events in one request: this ${format === 'ndjson' ? 'line' : 'element'} and the rest of the body were not read (send them in another request)`,
      path: `${where(over.position)} to the end`,
      raw: over.raw,
      rawBytes: received - over.start,
    });
  }
  await rejects.flush();
  return { items, records: records + (over ? 1 : 0), malformed };
}

/**
 * The body's chunks; a failure to read it (the client went away, gzip that does not inflate) is the caller's 400.
 * Stopping early does not destroy the request (that would reset the connection before the answer is sent): the
 * route answers with `Connection: close` instead.
 */
async function* readable(body: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer | string> {
  const it = body[Symbol.asyncIterator]();
  for (;;) {
    let next: IteratorResult<Buffer | string>;
    try {
      next = await it.next();
    } catch (e) {
      throw new ApiError(400, 'invalid_body', `the body could not be read: ${(e as Error).message}`);
    }
    if (next.done) return;
    yield next.value;
  }
}

/** An accepted-then-refused item's kept text: the event as JSON, cut like any rejected record. */
export function rawOfItem(item: SourceItem | undefined): { raw: string; rawBytes: number } {
  const text = item && 'event' in item ? JSON.stringify(item.event) : '';
  const bytes = Buffer.from(text);
  return { raw: rawText(bytes), rawBytes: bytes.length };
}

/** Events per `ingest` call: a slice of a large body is stored and run through the engine before the next one. */
export const DEFAULT_INGEST_SLICE_EVENTS = 2000;

/** What POST /v1/events hands valid events to (the server's `ingest` option). */
export type IngestFn = (items: SourceItem[]) => Promise<{ accepted: number; rejected: Array<{ line: number; error: string }>; duplicates?: number }>;

/**
 * Hands the valid events to `ingest` in slices of at most `sliceEvents` (each one pipeline unit: stored, then run
 * through the engine), yielding to the event loop between slices. Rejections come back with their body line.
 */
export async function ingestInSlices(
  items: readonly ParsedItem[],
  ingest: IngestFn,
  sliceEvents: number,
): Promise<{ accepted: number; duplicates: number; rejected: Array<{ line: number; error: string; item: SourceItem | undefined }> }> {
  let accepted = 0;
  let duplicates = 0;
  const rejected: Array<{ line: number; error: string; item: SourceItem | undefined }> = [];
  for (let at = 0; at < items.length; at += sliceEvents) {
    if (at > 0) await nextTurn();
    const slice = items.slice(at, at + sliceEvents);
    const res = await ingest(slice.map((p) => p.item));
    accepted += res.accepted;
    duplicates += res.duplicates ?? 0;
    for (const r of res.rejected) {
      const p = slice[r.line - 1];
      rejected.push({ line: p?.line ?? r.line, error: r.error, item: p?.item });
    }
  }
  return { accepted, duplicates, rejected };
}
