import { createHash, type Hash } from 'node:crypto';

/** Deeper structures are cut with a marker: hashing must not recurse without bound on hostile input. */
const MAX_DEPTH = 64;

function feed(h: Hash, v: unknown, depth: number): void {
  if (v === null || typeof v !== 'object') {
    h.update(v === undefined ? 'null' : (JSON.stringify(v) ?? 'null'));
    return;
  }
  if (depth >= MAX_DEPTH) {
    h.update('"…"');
    return;
  }
  if (Array.isArray(v)) {
    h.update('[');
    v.forEach((el, i) => {
      if (i > 0) h.update(',');
      feed(h, el, depth + 1);
    });
    h.update(']');
    return;
  }
  h.update('{');
  const o = v as Record<string, unknown>;
  Object.keys(o)
    .sort()
    .forEach((k, i) => {
      if (i > 0) h.update(',');
      h.update(JSON.stringify(k));
      h.update(':');
      feed(h, o[k], depth + 1);
    });
  h.update('}');
}

/**
 * A stable hash of a decoded record (keys sorted, so whitespace and key order do not matter): the id of
 * entries that carry no `request.id`, such as Vault's `help` requests. 128 bits of SHA-256, hex.
 */
export function contentHash(value: unknown): string {
  const h = createHash('sha256');
  feed(h, value, 0);
  return h.digest('hex').slice(0, 32);
}
