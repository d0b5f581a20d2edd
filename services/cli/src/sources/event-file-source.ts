import type { AdapterOptionsByFormat } from '@agentwatch/adapters';
import type { SourceItem } from '@agentwatch/detections';
import { MAX_EVENT_BYTES, parseEventJson, problemsToString } from '@agentwatch/schemas';
import { readLineBatches } from './line-reader.ts';
import { adapterFileSource, detectFileFormat, type RecordFileStats, unrecognisedFileSource } from './record-file-source.ts';

/** Input formats `replay --input-format` accepts (cli.md): canonical events, or a source format through its adapter. */
export const INPUT_FORMATS = ['auto', 'canonical', 'otlp', 'vault', 'cloudtrail', 'okta', 'opa', 'mcp'] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];

/**
 * Canonical NDJSON events from one file, in batches, each line decoded and validated. Blank lines are
 * skipped; every other bad line becomes an error item naming file and line, so nothing disappears silently.
 */
export async function* canonicalFileSource(path: string): AsyncGenerator<SourceItem[]> {
  for await (const lines of readLineBatches(path, MAX_EVENT_BYTES)) {
    const items: SourceItem[] = [];
    for (const { text, line, oversized } of lines) {
      if (oversized) {
        items.push({ error: `line longer than ${MAX_EVENT_BYTES} bytes`, origin: { source: path, line }, raw: text });
        continue;
      }
      if (text.length === 0 || text.trim() === '') continue;
      const r = parseEventJson(text);
      if (r.ok) items.push({ event: r.value, timeMs: Date.parse(r.value.time) });
      else items.push({ error: problemsToString(r.problems), origin: { source: path, line }, raw: text });
    }
    if (items.length > 0) yield items;
  }
}

/**
 * The source for one file in the requested format: canonical NDJSON directly, anything else through its adapter.
 * `auto` decides per file from its first record. `stats` gets what the file held.
 */
export async function* fileSource(
  path: string,
  format: InputFormat,
  adapters: AdapterOptionsByFormat = {},
  stats?: RecordFileStats,
): AsyncGenerator<SourceItem[]> {
  const st: RecordFileStats = stats ?? { file: path, format: null, records: 0, events: 0, rejected: 0, skipped: 0 };
  const resolved = format === 'auto' ? await detectFileFormat(path) : format;
  st.format = resolved;
  if (resolved === null) {
    // Nobody recognises the first record: every record is rejected with that reason (nothing read is dropped silently).
    yield* unrecognisedFileSource(path, st);
    return;
  }
  if (resolved === 'canonical') {
    yield* canonicalFileSource(path);
    return;
  }
  yield* adapterFileSource(path, resolved, adapters, st);
}

/** Reads one source item at a time out of a batched source. */
class Cursor {
  private batch: SourceItem[] = [];
  private i = 0;
  constructor(private readonly it: AsyncIterator<SourceItem[]>) {}
  /** The next item, or null at the end. */
  async next(): Promise<SourceItem | null> {
    while (this.i >= this.batch.length) {
      const r = await this.it.next();
      if (r.done) return null;
      this.batch = r.value;
      this.i = 0;
    }
    return this.batch[this.i++] as SourceItem;
  }
}

const BATCH = 2048;

/**
 * Merges several time-ordered sources into one by event time (k-way merge on each source's next event).
 * Errors pass through as soon as they are read, and so do events whose time `plausible` does not believe (a head
 * dated 9999 would otherwise hold its whole file back until every other file ended). Each source is assumed roughly
 * ordered; the pipeline's reorder buffer absorbs local disorder.
 */
export async function* mergeByTime(
  sources: AsyncIterator<SourceItem[]>[],
  plausible: (item: Extract<SourceItem, { event: unknown }>) => boolean = () => true,
): AsyncGenerator<SourceItem[]> {
  if (sources.length === 1) {
    const only = sources[0] as AsyncIterator<SourceItem[]>;
    for (let r = await only.next(); !r.done; r = await only.next()) yield r.value;
    return;
  }
  type Head = { cursor: Cursor; item: Extract<SourceItem, { event: unknown }> };
  let out: SourceItem[] = [];
  /** Advances a cursor to its next event, passing errors straight to the output. */
  const advance = async (cursor: Cursor): Promise<Head | null> => {
    for (let item = await cursor.next(); item !== null; item = await cursor.next()) {
      if ('error' in item || !plausible(item)) out.push(item);
      else return { cursor, item };
    }
    return null;
  };
  const heads: Head[] = [];
  for (const it of sources) {
    const h = await advance(new Cursor(it));
    if (h) heads.push(h);
  }
  while (heads.length > 0) {
    let min = 0;
    for (let i = 1; i < heads.length; i++) if ((heads[i] as Head).item.timeMs < (heads[min] as Head).item.timeMs) min = i;
    const head = heads[min] as Head;
    out.push(head.item);
    const next = await advance(head.cursor);
    if (next) heads[min] = next;
    else heads.splice(min, 1);
    if (out.length >= BATCH) {
      yield out;
      out = [];
    }
  }
  if (out.length > 0) yield out;
}
