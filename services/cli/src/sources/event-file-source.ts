import type { SourceItem } from '@agentwatch/detections';
import { MAX_EVENT_BYTES, parseEventJson, problemsToString } from '@agentwatch/schemas';
import { readLines } from './line-reader.ts';

/** Input formats `replay --input-format` accepts. Only canonical NDJSON is implemented; adapters come next. */
export const INPUT_FORMATS = ['auto', 'canonical', 'otlp', 'vault', 'cloudtrail', 'okta', 'opa', 'mcp'] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];

/** Thrown when a format is known but has no adapter yet. */
export class UnsupportedFormatError extends Error {}

/**
 * Canonical NDJSON events from one file, each line decoded and validated. Blank lines are skipped;
 * every other bad line becomes an error item naming file and line, so nothing disappears silently.
 */
export async function* canonicalFileSource(path: string): AsyncGenerator<SourceItem> {
  for await (const { text, line, oversized } of readLines(path, MAX_EVENT_BYTES)) {
    const origin = { source: path, line };
    if (oversized) {
      yield { error: `line longer than ${MAX_EVENT_BYTES} bytes`, origin, raw: text };
      continue;
    }
    if (text.trim() === '') continue;
    const r = parseEventJson(text);
    if (r.ok) yield { event: r.value, timeMs: Date.parse(r.value.time), origin };
    else yield { error: problemsToString(r.problems), origin, raw: text };
  }
}

/** The source for one file in the requested format (the seam where input adapters plug in). */
export function fileSource(path: string, format: InputFormat): AsyncGenerator<SourceItem> {
  if (format === 'auto' || format === 'canonical') return canonicalFileSource(path);
  throw new UnsupportedFormatError(`--input-format ${format} is not supported yet: only canonical NDJSON (auto) is implemented in this version`);
}

/**
 * Merges several time-ordered sources into one, by event time (k-way merge on each source's next event).
 * Errors pass through as soon as they are read. Each source is assumed roughly ordered; the pipeline's
 * reorder buffer absorbs local disorder.
 */
export async function* mergeByTime(sources: AsyncIterator<SourceItem>[]): AsyncGenerator<SourceItem> {
  if (sources.length === 1) {
    const only = sources[0] as AsyncIterator<SourceItem>;
    for (let r = await only.next(); !r.done; r = await only.next()) yield r.value;
    return;
  }
  type Head = { it: AsyncIterator<SourceItem>; item: Extract<SourceItem, { event: unknown }> };
  const heads: Head[] = [];
  const advance = async function* (it: AsyncIterator<SourceItem>): AsyncGenerator<SourceItem, Head | null> {
    for (let r = await it.next(); !r.done; r = await it.next()) {
      if ('error' in r.value) yield r.value;
      else return { it, item: r.value };
    }
    return null;
  };
  for (const it of sources) {
    const h = yield* advance(it);
    if (h) heads.push(h);
  }
  while (heads.length > 0) {
    let min = 0;
    for (let i = 1; i < heads.length; i++) if ((heads[i] as Head).item.timeMs < (heads[min] as Head).item.timeMs) min = i;
    const head = heads[min] as Head;
    yield head.item;
    const next = yield* advance(head.it);
    if (next) heads[min] = next;
    else heads.splice(min, 1);
  }
}
