import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';

export interface Line {
  text: string;
  /** 1-based line number in the file. */
  line: number;
  /** The line was longer than the limit; `text` holds only its first 200 characters. */
  oversized?: boolean;
}

/**
 * Streams a text file as batches of lines (one batch per ~1 MiB chunk), with flat memory; gzip when the
 * name ends in .gz. Batches rather than single lines because a promise per line costs more than the
 * parsing it feeds. Splits on `\n` directly (faster than `readline`), strips a trailing `\r`. A line
 * longer than `maxLineBytes` is cut short and flagged `oversized` instead of being buffered without bound.
 */
export async function* readLineBatches(path: string, maxLineBytes = 1_048_576): AsyncGenerator<Line[]> {
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  const stream = path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  stream.setEncoding('utf8');
  let carry = '';
  let oversized = false;
  let lineNo = 0;
  const finish = (text: string, batch: Line[]): void => {
    lineNo++;
    if (oversized || text.length > maxLineBytes) batch.push({ text: text.slice(0, 200), line: lineNo, oversized: true });
    else batch.push({ text: text.endsWith('\r') ? text.slice(0, -1) : text, line: lineNo });
    oversized = false;
  };
  for await (const chunk of stream as AsyncIterable<string>) {
    const batch: Line[] = [];
    let start = 0;
    let nl = chunk.indexOf('\n', start);
    while (nl !== -1) {
      const piece = chunk.slice(start, nl);
      finish(carry ? carry + piece : piece, batch);
      carry = '';
      start = nl + 1;
      nl = chunk.indexOf('\n', start);
    }
    if (start < chunk.length && !oversized) {
      carry += chunk.slice(start);
      if (carry.length > maxLineBytes) {
        oversized = true;
        carry = carry.slice(0, 200);
      }
    }
    if (batch.length > 0) yield batch;
  }
  if (carry.length > 0 || oversized) {
    const batch: Line[] = [];
    finish(carry, batch);
    yield batch;
  }
}
