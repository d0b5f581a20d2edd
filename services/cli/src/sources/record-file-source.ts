import { open, readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import {
  ADAPTER_FORMATS,
  type AdapterFormat,
  type AdapterOptionsByFormat,
  type AdapterResult,
  createAdapter,
  detectFormat,
  isObject,
} from '@agentwatch/adapters';
import type { SourceItem } from '@agentwatch/detections';
import { readLineBatches } from './line-reader.ts';

/** Whole-file JSON (arrays, `{"Records": [...]}`, pretty-printed exports) is parsed at once up to this size. */
const MAX_WHOLE_FILE_BYTES = 256 * 1024 * 1024;
/** A raw record kept with its reject is cut to this many characters. */
const MAX_RAW_CHARS = 4096;

/** What one input file held, per format: records read, events made, rejects and deliberate skips. */
export interface RecordFileStats {
  file: string;
  format: AdapterFormat | 'canonical' | null;
  records: number;
  events: number;
  rejected: number;
  skipped: number;
  skipReason?: string;
}

/** One decoded record and where it came from (line of an NDJSON file, or index in a JSON array / `Records`). */
interface RecordAt {
  value: unknown;
  line: number;
  raw?: string;
}

/** Reads the first bytes of a file (decompressed when gzip) to decide framing and, for `auto`, the format. */
async function head(path: string): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const bytes = buf.subarray(0, bytesRead);
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
      // A gzip prefix cannot be inflated on its own reliably: inflate the whole file once (bounded below).
      return '';
    }
    return bytes.toString('utf8');
  } finally {
    await fh.close();
  }
}

async function wholeText(path: string): Promise<string> {
  const buf = await readFile(path);
  if (buf.length > MAX_WHOLE_FILE_BYTES)
    throw new Error(`${path}: ${buf.length} bytes is more than the ${MAX_WHOLE_FILE_BYTES}-byte limit for a whole-file JSON document; write it as NDJSON`);
  const text = buf[0] === 0x1f && buf[1] === 0x8b ? gunzipSync(buf, { maxOutputLength: MAX_WHOLE_FILE_BYTES }).toString('utf8') : buf.toString('utf8');
  return text;
}

/**
 * How a file is framed: NDJSON (one record per line) unless it is one JSON document (an array, a CloudTrail
 * `{"Records": [...]}` file, or a single pretty-printed object), which is decided from its first line.
 */
async function framing(path: string): Promise<'ndjson' | 'document'> {
  let text = await head(path);
  if (text === '') text = (await wholeText(path)).slice(0, 64 * 1024);
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[')) return 'document';
  const firstLine = trimmed.split('\n', 1)[0] ?? '';
  try {
    JSON.parse(firstLine);
    return 'ndjson';
  } catch {
    return 'document';
  }
}

/** The records of a whole-file JSON document: array elements, `Records` entries, or the object itself. */
function documentRecords(value: unknown): RecordAt[] {
  if (Array.isArray(value)) return value.map((v, i) => ({ value: v, line: i + 1 }));
  if (isObject(value) && Array.isArray(value['Records'])) return (value['Records'] as unknown[]).map((v, i) => ({ value: v, line: i + 1 }));
  return [{ value, line: 1 }];
}

async function* records(path: string): AsyncGenerator<RecordAt[]> {
  if ((await framing(path)) === 'document') {
    const text = await wholeText(path);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new Error(`${path}: not valid JSON (neither NDJSON nor one JSON document): ${(e as Error).message}`);
    }
    yield documentRecords(value);
    return;
  }
  for await (const lines of readLineBatches(path, 16 * 1024 * 1024)) {
    const out: RecordAt[] = [];
    for (const { text, line, oversized } of lines) {
      if (oversized) {
        out.push({ value: undefined, line, raw: `(line longer than 16 MiB; first 200 chars) ${text}` });
        continue;
      }
      if (text.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        out.push({ value: undefined, line, raw: text.slice(0, MAX_RAW_CHARS) });
        continue;
      }
      // A CloudTrail file written on one line is still a `Records` document.
      if (isObject(value) && Array.isArray(value['Records'])) for (const r of documentRecords(value)) out.push({ value: r.value, line });
      else out.push({ value, line, raw: text });
    }
    if (out.length > 0) yield out;
  }
}

/** The format of a file's first record (`--input-format auto`). */
export async function detectFileFormat(path: string): Promise<AdapterFormat | 'canonical' | null> {
  for await (const batch of records(path)) {
    for (const r of batch) if (r.value !== undefined) return detectFormat(r.value);
  }
  return null;
}

/**
 * Source records of one file through an adapter into canonical events. Every record either becomes events, is
 * rejected with the adapter's reason (reported as `file:line: format: reason`, kept with --rejects), or is counted
 * as deliberately skipped; at the end the adapter's held records (e.g. MCP calls never answered) are flushed.
 */
export async function* adapterFileSource(
  path: string,
  format: AdapterFormat,
  options: AdapterOptionsByFormat,
  stats: RecordFileStats,
): AsyncGenerator<SourceItem[]> {
  const adapter = createAdapter(format, options[format] ?? {});
  const toItems = (r: AdapterResult, at: RecordAt, items: SourceItem[]): void => {
    stats.events += r.events.length;
    stats.rejected += r.rejects.length;
    if (r.skipped > 0) {
      stats.skipped += r.skipped;
      stats.skipReason ??= r.skipReason;
    }
    for (const event of r.events) items.push({ event, timeMs: Date.parse(event.time) });
    for (const j of r.rejects) {
      const where = j.path ? ` (at ${j.path})` : '';
      items.push({
        error: `${format}: ${j.reason}${where}`,
        origin: { source: path, line: at.line },
        raw: (at.raw ?? JSON.stringify(at.value) ?? '').slice(0, MAX_RAW_CHARS),
      });
    }
  };
  for await (const batch of records(path)) {
    const items: SourceItem[] = [];
    for (const at of batch) {
      stats.records++;
      if (at.value === undefined) {
        stats.rejected++;
        items.push({ error: 'not valid JSON', origin: { source: path, line: at.line }, raw: at.raw ?? '' });
        continue;
      }
      toItems(adapter.map(at.value), at, items);
    }
    if (items.length > 0) yield items;
  }
  const rest: SourceItem[] = [];
  toItems(adapter.flush(), { value: null, line: 0, raw: '(end of file: records still held by the adapter)' }, rest);
  if (rest.length > 0) yield rest;
}

/** A file `auto` could not place: each record is rejected, naming the formats tried. */
export async function* unrecognisedFileSource(path: string, stats: RecordFileStats): AsyncGenerator<SourceItem[]> {
  const reason = `not a canonical event nor a record of any known source format (${ADAPTER_FORMATS.join(', ')}); name the format with --input-format`;
  for await (const batch of records(path)) {
    stats.records += batch.length;
    stats.rejected += batch.length;
    yield batch.map((at) => ({
      error: at.value === undefined ? 'not valid JSON' : reason,
      origin: { source: path, line: at.line },
      raw: (at.raw ?? JSON.stringify(at.value) ?? '').slice(0, MAX_RAW_CHARS),
    }));
  }
}
