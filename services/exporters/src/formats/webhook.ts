import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Alert } from '@agentwatch/schemas';
import { type Activity, checkDelivery, type Delivery, deliveryId, epochMs } from './delivery.ts';

/**
 * Webhook body and signature. exporters.md fixes the header as `X-Agentwatch-Signature: sha256=<HMAC of the body>`,
 * so the HMAC-SHA256 covers exactly the body bytes. The timestamp that defeats replay is therefore inside the signed
 * body (`delivery.timestamp`, unix seconds) and repeated in `X-Agentwatch-Timestamp`; the verifier requires both to
 * agree, so a replayed body cannot be given a fresh timestamp without breaking the signature.
 */
export const SIGNATURE_HEADER = 'X-Agentwatch-Signature';
export const TIMESTAMP_HEADER = 'X-Agentwatch-Timestamp';
/** Default window a receiver accepts a delivery in, either side of its clock (Stripe and Slack use 5 minutes too). */
export const DEFAULT_TOLERANCE_S = 300;

export interface WebhookBody {
  delivery: { id: string; exporter: string; alert_id: string; version: number; activity: Activity; timestamp: number };
  alert: Alert;
}

export interface WebhookRequest {
  body: string;
  headers: Record<string, string>;
}

const sign = (secret: string | Buffer, body: string | Buffer): string => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

/**
 * The request for one alert version. `sentAt` is the send attempt's time (each retry signs anew, so a receiver that
 * was down for an hour still gets a fresh timestamp); the clock is read by the caller, never here.
 */
export function alertToWebhook(alert: Alert, delivery: Delivery, secret: string | Buffer, sentAt: string): WebhookRequest {
  checkDelivery(delivery);
  if (secret.length === 0) throw new RangeError('webhook secret is empty');
  const timestamp = Math.floor(epochMs(sentAt) / 1000);
  const body: WebhookBody = {
    delivery: {
      id: deliveryId(alert.alert_id, delivery.version),
      exporter: delivery.exporter,
      alert_id: alert.alert_id,
      version: delivery.version,
      activity: delivery.activity,
      timestamp,
    },
    alert,
  };
  const text = JSON.stringify(body);
  return {
    body: text,
    headers: { 'Content-Type': 'application/json', [TIMESTAMP_HEADER]: String(timestamp), [SIGNATURE_HEADER]: sign(secret, text) },
  };
}

export type VerifyResult = { ok: true; body: WebhookBody } | { ok: false; reason: string };

/** Case-insensitive header read (HTTP header names are). */
const header = (headers: Record<string, string | string[] | undefined>, name: string): string | undefined => {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
  const v = key === undefined ? undefined : headers[key];
  return Array.isArray(v) ? v[0] : v;
};

/**
 * What a receiver runs: checks the signature over the raw body (constant time), then that the signed timestamp equals
 * the header and lies within `toleranceS` of `nowMs`. Rejects with a reason naming what failed; never throws on input.
 */
export function verifyWebhook(
  body: string | Buffer,
  headers: Record<string, string | string[] | undefined>,
  secret: string | Buffer,
  nowMs: number,
  toleranceS = DEFAULT_TOLERANCE_S,
): VerifyResult {
  const got = header(headers, SIGNATURE_HEADER);
  if (!got) return { ok: false, reason: `missing ${SIGNATURE_HEADER}` };
  const want = Buffer.from(sign(secret, body));
  const given = Buffer.from(got);
  if (given.length !== want.length || !timingSafeEqual(given, want)) return { ok: false, reason: 'signature does not match the body' };
  const ts = header(headers, TIMESTAMP_HEADER);
  if (!ts || !/^\d{1,15}$/.test(ts)) return { ok: false, reason: `missing or malformed ${TIMESTAMP_HEADER}` };
  let parsed: WebhookBody;
  try {
    parsed = JSON.parse(body.toString()) as WebhookBody;
  } catch {
    return { ok: false, reason: 'body is not JSON' };
  }
  if (parsed?.delivery?.timestamp !== Number(ts)) return { ok: false, reason: `${TIMESTAMP_HEADER} differs from the signed delivery.timestamp` };
  const skew = Math.abs(nowMs / 1000 - Number(ts));
  if (skew > toleranceS) return { ok: false, reason: `timestamp is ${Math.round(skew)} s from now (tolerance ${toleranceS} s): stale or replayed` };
  return { ok: true, body: parsed };
}
