/**
 * The floor replay is compared against: read the same file with the same line reader and JSON.parse
 * every line, nothing else. Prints JSON on stdout.
 */
import { readLineBatches } from '../services/cli/src/sources/line-reader.ts';

const file = process.argv[2] as string;
const t0 = performance.now();
let lines = 0;
let sink = 0;
for await (const batch of readLineBatches(file)) {
  for (const { text } of batch) {
    if (text.length === 0) continue;
    const v = JSON.parse(text) as { time?: string };
    if (v.time) sink++;
    lines++;
  }
}
const seconds = (performance.now() - t0) / 1000;
process.stdout.write(`${JSON.stringify({ lines, seconds, events_per_s: lines / seconds, peak_rss_mb: process.resourceUsage().maxRSS / 1024, sink })}\n`);
