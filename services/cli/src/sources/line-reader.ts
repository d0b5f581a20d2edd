import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';

export interface Line {
  text: string;
  /** 1-based line number in the file. */
  line: number;
}

/**
 * Streams a text file line by line with flat memory (gzip when the name ends in .gz). Faster than
 * `readline`: splits decoded chunks on `\n` directly. A line longer than `maxLineBytes` is returned
 * truncated with `oversized: true` instead of being buffered without bound.
 */
export async function* readLines(path: string, maxLineBytes = 1_048_576): AsyncGenerator<Line & { oversized?: boolean }> {
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  const stream = path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  stream.setEncoding('utf8');
  let carry = '';
  let oversized = false;
  let lineNo = 0;
  for await (const chunk of stream as AsyncIterable<string>) {
    let start = 0;
    let nl = chunk.indexOf('\n', start);
    while (nl !== -1) {
      lineNo++;
      const piece = chunk.slice(start, nl);
      const text = carry ? carry + piece : piece;
      carry = '';
      if (oversized || text.length > maxLineBytes) yield { text: text.slice(0, 200), line: lineNo, oversized: true };
      else yield { text: text.endsWith('\r') ? text.slice(0, -1) : text, line: lineNo };
      oversized = false;
      start = nl + 1;
      nl = chunk.indexOf('\n', start);
    }
    if (start < chunk.length) {
      if (oversized) continue;
      carry += chunk.slice(start);
      if (carry.length > maxLineBytes) {
        oversized = true;
        carry = carry.slice(0, 200);
      }
    }
  }
  if (carry.length > 0 || oversized) {
    lineNo++;
    if (oversized) yield { text: carry, line: lineNo, oversized: true };
    else yield { text: carry.endsWith('\r') ? carry.slice(0, -1) : carry, line: lineNo };
  }
}
