import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { DeliveryError, type TransportTls } from './transport.ts';

/** Default deadline for one POST, connect to last reply byte: a receiver that hangs must not hold the outbox. */
export const DEFAULT_TIMEOUT_MS = 10_000;
/** Default cap on one request body (Splunk Cloud's HEC refuses more than 1 MB; callers split batches under it). */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
/** How much of a reply is read: enough for a HEC status object or an error page's start, never a hostile stream. */
const MAX_REPLY_BYTES = 64 * 1024;
/** Longest Retry-After honoured: a receiver cannot park the exporter for days with one header. */
const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;
/** Characters of a reply quoted in an error message. */
const EXCERPT_CHARS = 200;

export interface HttpPostOptions {
  /** http: or https: URL. Error messages name only its origin and path (a query may carry a token). */
  url: string | URL;
  tls?: TransportTls;
  timeoutMs?: number;
  /** A body larger than this is refused before sending (permanent: the same bytes can never fit). */
  maxBodyBytes?: number;
}

/** A 2xx reply: the status, headers and the first MAX_REPLY_BYTES of the body. */
export interface HttpReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** What a caller posts: body bytes and headers (content-type included). Header values never appear in errors. */
export interface HttpPostRequest {
  body: string | Buffer;
  headers: Record<string, string>;
}

/**
 * One receiver's HTTP(S) endpoint with a keep-alive connection pool. `post` resolves with a 2xx reply and throws
 * DeliveryError otherwise: 408, 429, 5xx, network errors and the deadline are transient (Retry-After honoured as
 * retryAfterMs); any other status is permanent, with the status and a short excerpt of the reply.
 */
export class HttpPoster {
  private readonly url: URL;
  private readonly agent: HttpAgent | HttpsAgent;
  private readonly timeoutMs: number;
  private readonly maxBodyBytes: number;
  /** What error messages call the receiver: scheme, host, port and path; never userinfo or the query. */
  readonly where: string;
  private closed = false;

  constructor(opts: HttpPostOptions) {
    const url = new URL(String(opts.url));
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RangeError(`receiver URL must be http: or https:, got ${url.protocol}`);
    this.url = url;
    this.where = `${url.protocol}//${url.host}${url.pathname}`;
    this.timeoutMs = positive(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, 'timeoutMs');
    this.maxBodyBytes = positive(opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, 'maxBodyBytes');
    const tls = opts.tls ?? {};
    this.agent =
      url.protocol === 'https:'
        ? new HttpsAgent({
            keepAlive: true,
            maxSockets: 1,
            ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
            ...(tls.cert !== undefined ? { cert: tls.cert } : {}),
            ...(tls.key !== undefined ? { key: tls.key } : {}),
            ...(tls.servername !== undefined ? { servername: tls.servername } : {}),
            rejectUnauthorized: tls.rejectUnauthorized ?? true,
          })
        : new HttpAgent({ keepAlive: true, maxSockets: 1 });
  }

  /** The body cap this poster enforces (callers that batch split under it). */
  get bodyCap(): number {
    return this.maxBodyBytes;
  }

  /** Posts and resolves with a 2xx reply; throws DeliveryError for any other reply and for network failures. */
  async post(req: HttpPostRequest): Promise<HttpReply> {
    const reply = await this.postRaw(req);
    const err = replyError(reply, this.where);
    if (err) throw err;
    return reply;
  }

  /**
   * Posts and resolves with whatever reply came (any status), for a caller that reads the reply body to classify it
   * (HEC); throws DeliveryError only when there is no reply (refused, reset, TLS, deadline) or the body is over the cap.
   */
  async postRaw(req: HttpPostRequest): Promise<HttpReply> {
    if (this.closed) throw new DeliveryError(`${this.where}: transport is closed`, { permanent: false });
    const size = typeof req.body === 'string' ? Buffer.byteLength(req.body) : req.body.length;
    if (size > this.maxBodyBytes)
      throw new DeliveryError(`${this.where}: request body of ${size} bytes exceeds the cap of ${this.maxBodyBytes}`, { permanent: true });
    return this.send(req, size);
  }

  /** Closes pooled sockets; a post in flight fails with a transient error. */
  async close(): Promise<void> {
    this.closed = true;
    this.agent.destroy();
  }

  private send(req: HttpPostRequest, size: number): Promise<HttpReply> {
    const request = this.url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<HttpReply>((resolve, reject) => {
      let settled = false;
      const fail = (e: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(networkError(e, this.where));
      };
      const r = request(this.url, {
        method: 'POST',
        agent: this.agent,
        headers: { ...req.headers, 'Content-Length': String(size) },
      });
      const timer = setTimeout(() => r.destroy(new TimeoutError(this.timeoutMs)), this.timeoutMs);
      r.on('error', fail);
      r.on('response', (res: IncomingMessage) => {
        readCapped(res, MAX_REPLY_BYTES, (err, body) => {
          if (err) return fail(err);
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
      });
      r.end(req.body);
    });
  }
}

class TimeoutError extends Error {
  constructor(readonly ms: number) {
    super(`no complete reply within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

function positive(n: number, name: string): number {
  if (!Number.isFinite(n) || n <= 0) throw new RangeError(`${name} must be a positive number, got ${n}`);
  return n;
}

/**
 * Reads at most `cap` bytes of a reply, then drops the rest (the socket is not reused after a cut). Calls `done`
 * synchronously from the stream's events, so a cut's own abort cannot overtake the body it ends.
 */
function readCapped(res: IncomingMessage, cap: number, done: (err: Error | null, body: string) => void): void {
  const chunks: Buffer[] = [];
  let got = 0;
  let finished = false;
  const finish = (err: Error | null) => {
    if (finished) return;
    finished = true;
    done(err, Buffer.concat(chunks).toString('utf8'));
  };
  res.on('data', (c: Buffer) => {
    if (finished) return;
    chunks.push(c.subarray(0, cap - got));
    got += Math.min(c.length, cap - got);
    if (got >= cap) {
      finish(null);
      res.destroy();
    }
  });
  res.on('end', () => finish(null));
  res.on('error', (e) => finish(e));
  res.on('aborted', () => finish(new Error('reply aborted')));
}

/** A network-level failure (refused, reset, TLS, deadline): always transient, the receiver may come back. */
function networkError(e: unknown, where: string): DeliveryError {
  if (e instanceof DeliveryError) return e;
  return new DeliveryError(`${where}: ${errorText(e)}`, { permanent: false });
}

/** An error's message, led by its code (ECONNREFUSED, CERT_HAS_EXPIRED) unless the message names it already. */
export function errorText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const message = typeof err?.message === 'string' ? err.message : String(e);
  return typeof err?.code === 'string' && !message.includes(err.code) ? `${err.code}: ${message}` : message;
}

/** A short, single-line, printable excerpt of a reply for an error message. */
export function excerpt(body: string): string {
  const flat = body.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return flat.length > EXCERPT_CHARS ? `${flat.slice(0, EXCERPT_CHARS)}...` : flat;
}

/**
 * Retry-After as milliseconds from `nowMs`: delta-seconds or an HTTP-date (RFC 9110 10.2.3), capped at an hour;
 * undefined when absent or unreadable.
 */
export function retryAfterMs(value: string | string[] | undefined, nowMs: number): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return undefined;
  const t = v.trim();
  let ms: number;
  if (/^\d+$/.test(t)) ms = Number(t) * 1000;
  else {
    const at = Date.parse(t);
    if (Number.isNaN(at)) return undefined;
    ms = Math.max(0, at - nowMs);
  }
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}

/**
 * Statuses that refuse these bytes (the request itself is bad): sending them again cannot succeed, so the outbox keeps
 * the version as failed. Every other failure is retried: a busy or down receiver (408, 429, 5xx), and also one that
 * refuses our credentials or address (401, 403, 404, ...): a rotated token or a moved endpoint is a configuration
 * problem the backlog waits out in the store (GET /v1/exporters shows the error), never a reason to give alerts up.
 */
const REFUSED_BYTES = new Set([400, 413, 415, 422]);

/** HTTP statuses worth retrying (see {@link REFUSED_BYTES}). */
export const isTransientStatus = (status: number): boolean => !REFUSED_BYTES.has(status);

/** The DeliveryError for a non-2xx reply, or null for a 2xx one. */
export function replyError(reply: HttpReply, where: string, nowMs = Date.now()): DeliveryError | null {
  const { status } = reply;
  if (status >= 200 && status < 300) return null;
  const permanent = !isTransientStatus(status);
  const after = permanent ? undefined : retryAfterMs(reply.headers['retry-after'], nowMs);
  const text = excerpt(reply.body);
  return new DeliveryError(`${where}: HTTP ${status}${text ? `: ${text}` : ''}`, { permanent, ...(after !== undefined ? { retryAfterMs: after } : {}) });
}
