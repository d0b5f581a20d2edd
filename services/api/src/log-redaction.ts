import type { FastifyRequest } from 'fastify';
import pino, { type DestinationStream, type LoggerOptions } from 'pino';

/**
 * Keeping secrets out of logs. Tokens reach the server in the Authorization header only, but a client may still put
 * one in a query string, and errors (a malformed request's raw bytes, a message quoting a URL) can carry one. So:
 * request URLs are logged without their query string, headers are never logged, error objects lose their raw-packet
 * bytes and have known secrets scrubbed, and the process logger can scrub every line it writes.
 */

export const REDACTED = '[redacted]';

/** What a token looks like when it is written into text (`Bearer xyz`, `aw_...`, `?access_token=...`). */
const TOKEN_SHAPES: ReadonlyArray<[RegExp, string]> = [
  [/\b(Bearer|Basic)([ ]+)[^\s"',;]{8,}/gi, `$1$2${REDACTED}`],
  [/\baw_[A-Za-z0-9_-]{8,}/g, `aw_${REDACTED}`],
];

/** A URL or path with its query string replaced (`/v1/alerts?token=x` -> `/v1/alerts?[redacted]`). */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : `${url.slice(0, q)}?${REDACTED}`;
}

/** A word of free text (up to a space or quote): each is looked at once, so scrubbing stays linear in hostile text. */
const WORD = /[^\s"']+/g;

/** A word with a `/` before its first `?` is a path or URL: its query string is redacted. */
function redactQueryInWord(word: string): string {
  const q = word.indexOf('?');
  if (q < 0 || q === word.length - 1) return word;
  const slash = word.indexOf('/');
  return slash >= 0 && slash < q ? `${word.slice(0, q)}?${REDACTED}` : word;
}

/** Text with `secrets` (exact values, also JSON-escaped), token-shaped words and query strings replaced. */
export type Scrubber = (text: string) => string;

/**
 * A scrubber for `secrets` (e.g. the bootstrap token, a password in a ClickHouse URL): values shorter than 8
 * characters are ignored (they would match ordinary words).
 */
export function createScrubber(secrets: ReadonlyArray<string | undefined>): Scrubber {
  const forms = new Set<string>();
  for (const s of secrets) {
    if (!s || s.length < 8) continue;
    forms.add(s);
    forms.add(JSON.stringify(s).slice(1, -1));
    forms.add(encodeURIComponent(s));
  }
  // Longest first, so a secret that contains another is replaced whole.
  const values = [...forms].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const v of values) if (out.includes(v)) out = out.split(v).join(REDACTED);
    for (const [re, to] of TOKEN_SHAPES) out = out.replace(re, to);
    return out.includes('?') ? out.replace(WORD, redactQueryInWord) : out;
  };
}

/** Error properties that hold raw request bytes (Node's HTTP parser errors carry the request as `rawPacket`). */
const RAW_ERROR_FIELDS = ['rawPacket', 'bytesParsed', 'headers', 'config', 'request', 'response'];

/** A serialized error (and its `cause`, nested errors) with raw fields dropped and every string scrubbed. */
function scrubError(value: unknown, scrub: Scrubber, depth: number): unknown {
  if (typeof value === 'string') return scrub(value);
  if (value === null || typeof value !== 'object' || depth > 4) return value;
  if (Array.isArray(value)) return value.map((v) => scrubError(v, scrub, depth + 1));
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return REDACTED;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (!RAW_ERROR_FIELDS.includes(k)) out[k] = scrubError(v, scrub, depth + 1);
  return out;
}

/**
 * pino serializers for the API: `req` is method, path (query string redacted) and peer, never headers; `err` is
 * pino's standard error with its message and stack scrubbed and raw request fields dropped.
 */
export function secretSafeSerializers(scrub: Scrubber): { req: (req: FastifyRequest) => object; err: (err: Error) => object } {
  return {
    req: (req) => ({
      method: req.method,
      url: redactUrl(req.url ?? ''),
      host: req.host,
      remoteAddress: req.ip,
      remotePort: req.socket?.remotePort,
    }),
    err: (err) => scrubError(pino.stdSerializers.err(err), scrub, 0) as object,
  };
}

/**
 * Options for a process's root pino logger: header and secret-key redaction, the safe serializers, and every string
 * message argument scrubbed (fastify writes some URLs into messages, e.g. "Route GET:/x?y not found").
 */
export function secretSafeLoggerOptions(scrub: Scrubber): LoggerOptions {
  return {
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'headers.authorization',
        'headers.cookie',
        'authorization',
        'bootstrap_token',
        'bootstrapToken',
        'config.bootstrap_token',
        'password',
        '*.password',
      ],
      censor: REDACTED,
    },
    serializers: secretSafeSerializers(scrub),
    hooks: {
      logMethod(args, method) {
        return method.apply(this, args.map((a) => (typeof a === 'string' ? scrub(a) : a)) as Parameters<typeof method>);
      },
    },
  };
}

/**
 * A destination that scrubs each finished line before writing it: the last net, for secrets inside logged objects
 * that no serializer knew about (e.g. a driver error's nested field).
 */
export function scrubbingDestination(scrub: Scrubber, dest: DestinationStream): DestinationStream {
  return { write: (line: string) => dest.write(scrub(line)) };
}
