import type { HttpPoster, HttpReply } from './http-post.ts';
import { DeliveryError } from './transport.ts';

/**
 * [start, end) ranges of lines whose bytes, joined with `sep`, fit in `cap`, in order. A line alone over the cap ends
 * the list with the empty range [i, i), so the caller delivers what precedes it and reports that line.
 */
export function chunks(lines: readonly string[], cap: number, sep = '\n'): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const sepBytes = Buffer.byteLength(sep);
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < lines.length; i++) {
    const n = Buffer.byteLength(lines[i] ?? '');
    if (n > cap) {
      if (i > start) out.push([start, i]);
      out.push([i, i]);
      return out;
    }
    const add = i > start ? n + sepBytes : n;
    if (bytes + add > cap) {
      out.push([start, i]);
      start = i;
      bytes = n;
    } else bytes += add;
  }
  if (start < lines.length) out.push([start, lines.length]);
  return out;
}

/**
 * Posts one batch's lines (one line per item, in order) in as many requests as the poster's body cap needs, each
 * reply judged by `check`. A failure reports the items earlier requests delivered. When a request of several items
 * is refused permanently, its items are resent one per request, so only the item the receiver refuses fails and the
 * count of those before it is exact whatever the receiver did with the rest of the refused request (those it did
 * take arrive twice, with their delivery ids). A line over the cap alone is a permanent failure of that item.
 */
export async function postLines(
  poster: HttpPoster,
  lines: readonly string[],
  headers: Record<string, string>,
  check: (reply: HttpReply) => DeliveryError | null,
  sep = '\n',
): Promise<void> {
  let done = 0;
  const post = async (start: number, end: number): Promise<void> => {
    const err = check(await poster.postRaw({ body: lines.slice(start, end).join(sep), headers }));
    if (err) throw err;
  };
  try {
    for (const [start, end] of chunks(lines, poster.bodyCap, sep)) {
      if (end === start) {
        const size = Buffer.byteLength(lines[start] ?? '');
        throw new DeliveryError(`${poster.where}: item ${start} of the batch is ${size} bytes, over the request body cap of ${poster.bodyCap}`, {
          permanent: true,
        });
      }
      try {
        await post(start, end);
      } catch (e) {
        if (!(e instanceof DeliveryError && e.permanent && end - start > 1)) throw e;
        for (let i = start; i < end; i++, done++) await post(i, i + 1);
      }
      done = end;
    }
  } catch (e) {
    if (!(e instanceof DeliveryError)) throw e;
    throw new DeliveryError(e.message, { ...e.opts, delivered: done });
  }
}
