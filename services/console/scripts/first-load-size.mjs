// Prints the console's first-load JavaScript, gzipped: every script and modulepreload that dist/index.html loads
// before any interaction (the target is < 300 KB). Run after `vite build`; exits 1 when dist/ is missing.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const dist = join(import.meta.dirname, '..', 'dist');
const index = join(dist, 'index.html');
if (!existsSync(index)) {
  console.error(`console: ${index} is missing; run npm run build -w @agentwatch/console`);
  process.exit(1);
}
const html = readFileSync(index, 'utf8');
const files = [...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*rel="modulepreload"[^>]*\shref)="([^"]+\.js)"/g)].map((m) => m[1]);
let bytes = 0;
for (const f of files) bytes += gzipSync(readFileSync(join(dist, f.replace(/^\//, '')))).length;
console.log(
  `console: built ${dist}; first-load JS ${(bytes / 1024).toFixed(1)} KB gzipped (${files.length} file${files.length === 1 ? '' : 's'}; target < 300 KB)`,
);
