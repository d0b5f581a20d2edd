import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/**
 * A registry text from this size on is kept gzipped (base64, behind {@link MARKER}) in `registry_versions.content`:
 * inserting the 68 MB text of a 100,000-agent registry as it is took the embedded ClickHouse from 448 to 1,578 MB RSS
 * for good (bench:scale). Smaller texts are kept as they are.
 */
export const COMPRESS_FROM_CHARS = 1 << 20;
/** Starts a stored content that is gzip + base64. A NUL can begin no registry in force (YAML refuses it). */
const MARKER = '\u0000gzip-base64\u0000';

export async function encodeRegistryContent(text: string): Promise<string> {
  if (text.length < COMPRESS_FROM_CHARS) return text;
  return MARKER + (await gzipAsync(Buffer.from(text, 'utf8'))).toString('base64');
}

export async function decodeRegistryContent(stored: string): Promise<string> {
  if (!stored.startsWith(MARKER)) return stored;
  return (await gunzipAsync(Buffer.from(stored.slice(MARKER.length), 'base64'))).toString('utf8');
}
