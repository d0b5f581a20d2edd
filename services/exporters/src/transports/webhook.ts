import { alertToWebhook } from '../formats/webhook.ts';
import { HttpPoster } from './http-post.ts';
import { DeliveryError, type ExportItem, type Transport, type TransportTls } from './transport.ts';

export interface WebhookTransportOptions {
  url: string;
  /** The HMAC-SHA256 key (read from a file or env by the caller); never logged. */
  secret: string | Buffer;
  tls?: TransportTls;
  timeoutMs?: number;
  /** The clock that stamps each send attempt (tests pin it); the wall clock by default. */
  now?: () => Date;
}

/**
 * Webhook: one signed POST per alert version, in the batch's order, each signed with its own attempt's time (a retry
 * an hour later carries a fresh timestamp the receiver's replay window accepts). A failure reports how many versions
 * before it the receiver took.
 */
export function createWebhookTransport(opts: WebhookTransportOptions): Transport {
  if (opts.secret.length === 0) throw new RangeError('webhook secret is empty');
  const poster = new HttpPoster({
    url: opts.url,
    ...(opts.tls ? { tls: opts.tls } : {}),
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
  });
  const now = opts.now ?? (() => new Date());
  return {
    async send(items: readonly ExportItem[]): Promise<void> {
      for (const [i, { alert, delivery }] of items.entries()) {
        const req = alertToWebhook(alert, delivery, opts.secret, now().toISOString());
        try {
          await poster.post(req);
        } catch (e) {
          if (!(e instanceof DeliveryError)) throw e;
          throw new DeliveryError(`${e.message} (delivery ${alert.alert_id}:${delivery.version})`, { ...e.opts, delivered: i });
        }
      }
    },
    close: () => poster.close(),
  };
}
