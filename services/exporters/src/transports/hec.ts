import { randomUUID } from 'node:crypto';
import type { Origin } from '../formats/delivery.ts';
import { alertToHec, hecBody } from '../formats/hec.ts';
import { postLines } from './batch-split.ts';
import { excerpt, HttpPoster, type HttpReply, replyError, retryAfterMs } from './http-post.ts';
import { DeliveryError, type ExportItem, type Transport, type TransportTls } from './transport.ts';

export interface HecTransportOptions {
  /** The collector endpoint, `https://splunk.example:8088/services/collector/event`. */
  url: string;
  /** The HEC token (read from a file or env by the caller). Sent only in the Authorization header, never logged. */
  token: string;
  /** Splunk index for every event; the token's default index when absent. */
  index?: string;
  origin: Origin;
  tls?: TransportTls;
  timeoutMs?: number;
  /** Largest request body; a batch is split into requests under it (Splunk Cloud's default limit is 1 MB). */
  maxBodyBytes?: number;
}

/**
 * HEC status codes (Splunk's "Troubleshoot HTTP Event Collector" table) that refuse the data itself: 5 no data,
 * 6 invalid data format, 12 event field is required, 13 event field cannot be blank. Every other code is about the
 * receiver or our configuration (1-4 token missing, invalid or disabled, 7 incorrect index, 8 internal error, 9 busy,
 * 10-11 data channel, 14-17 acknowledgement settings, 18-20 unhealthy) and is retried, so a revoked token or a full
 * indexer holds the backlog in the store instead of marking alerts failed.
 */
const DATA_REFUSED_CODES = new Set([5, 6, 12, 13]);

interface HecReply {
  text?: unknown;
  code?: unknown;
  'invalid-event-number'?: unknown;
}

const parseReply = (body: string): HecReply | null => {
  try {
    const v = JSON.parse(body) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as HecReply) : null;
  } catch {
    return null;
  }
};

/**
 * Splunk HTTP Event Collector: the batch as concatenated envelopes (hecBody), split into requests under the body cap,
 * `Authorization: Splunk <token>`, and a request channel (so a token with indexer acknowledgement enabled accepts it;
 * agentwatch does not poll acks, a 200 is taken as received). Success is HTTP 2xx with HEC's `{"code":0}`.
 */
export function createHecTransport(opts: HecTransportOptions): Transport {
  if (!opts.token) throw new RangeError('HEC token is empty');
  const poster = new HttpPoster({
    url: opts.url,
    ...(opts.tls ? { tls: opts.tls } : {}),
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.maxBodyBytes !== undefined ? { maxBodyBytes: opts.maxBodyBytes } : {}),
  });
  const headers = {
    'Content-Type': 'application/json',
    Authorization: `Splunk ${opts.token}`,
    'X-Splunk-Request-Channel': randomUUID(),
  };

  return {
    async send(items: readonly ExportItem[]): Promise<void> {
      const lines = items.map(({ alert, delivery }) => hecBody([alertToHec(alert, delivery, opts.origin, opts.index)]));
      await postLines(poster, lines, headers, (reply) => hecReplyError(reply, poster.where));
    },
    close: () => poster.close(),
  };
}

/**
 * The error for a HEC reply, or null when HEC took every event (HTTP 2xx and `{"code":0}`). The HTTP classification
 * (http-post.ts) holds unless HEC's code knows better: a busy or unhealthy collector is transient whatever the
 * status, and a 2xx carrying an error code is permanent. A 2xx without a HEC status object is permanent too: whatever
 * answered is not a collector (a wrong URL). `delivered` stays 0 even when HEC names the refused event
 * (`invalid-event-number`): Splunk does not say whether the events before it were indexed, so postLines resends a
 * refused request's items one by one instead (a repeat carries its delivery id; a loss would be silent).
 */
export function hecReplyError(reply: HttpReply, where: string, nowMs = Date.now()): DeliveryError | null {
  const hec = parseReply(reply.body);
  const httpErr = replyError(reply, where, nowMs);
  if (!httpErr && hec?.code === 0) return null;
  if (!hec || typeof hec.code !== 'number') {
    return (
      httpErr ??
      new DeliveryError(`${where}: HTTP ${reply.status} but the reply is not a HEC status object (wrong URL?): ${excerpt(reply.body)}`, { permanent: false })
    );
  }
  const code = hec.code;
  const n = hec['invalid-event-number'];
  const message =
    `${where}: HTTP ${reply.status}, HEC code ${code}${typeof hec.text === 'string' ? ` ${JSON.stringify(excerpt(hec.text))}` : ''}` +
    (typeof n === 'number' && Number.isInteger(n) ? `, event ${n} of the request` : '');
  if (!DATA_REFUSED_CODES.has(code)) {
    const after = retryAfterMs(reply.headers['retry-after'], nowMs);
    return new DeliveryError(message, { permanent: false, ...(after !== undefined ? { retryAfterMs: after } : {}) });
  }
  return new DeliveryError(message, { permanent: true });
}
