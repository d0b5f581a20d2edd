import { afterEach, describe, expect, it } from 'vitest';
import { verifyWebhook, type WebhookBody } from '../src/formats/webhook.ts';
import { DeliveryError, type ExportItem, type Transport } from '../src/transports/transport.ts';
import { createWebhookTransport } from '../src/transports/webhook.ts';
import { baseAlert, delivery } from './fixtures.ts';
import { type Receiver, startReceiver } from './http-receiver.ts';

const SECRET = 'webhook-test-secret';
const open: Array<Transport | Receiver> = [];
afterEach(async () => {
  for (const o of open.splice(0)) await ('stop' in o ? o.stop() : o.close());
});
async function receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
  const r = await startReceiver(...args);
  open.push(r);
  return r;
}
function webhook(r: Receiver, now?: () => Date): Transport {
  const t = createWebhookTransport({ url: r.url('/hooks/agentwatch'), secret: SECRET, timeoutMs: 5000, ...(now ? { now } : {}) });
  open.push(t);
  return t;
}
const items = (n: number): ExportItem[] =>
  Array.from({ length: n }, (_, i) => ({ alert: baseAlert({ alert_id: `alert-${i}` }), delivery: delivery({ exporter: 'soar', version: i + 1 }) }));

describe('webhook transport on a loopback receiver', () => {
  it('one signed POST per alert version, in order, each verifying with the shared secret', async () => {
    const r = await receiver({ reply: () => ({ status: 204 }) });
    await webhook(r).send(items(3));
    expect(r.requests.map((q) => [q.method, q.path, q.headers['content-type']])).toEqual(Array(3).fill(['POST', '/hooks/agentwatch', 'application/json']));
    const ids = r.requests.map((q) => {
      const v = verifyWebhook(q.body, q.headers as Record<string, string>, SECRET, Date.now());
      expect(v.ok, v.ok ? '' : v.reason).toBe(true);
      return (JSON.parse(q.body) as WebhookBody).delivery.id;
    });
    expect(ids).toEqual(['alert-0:1', 'alert-1:2', 'alert-2:3']);
    expect(verifyWebhook(r.requests[0]?.body ?? '', r.requests[0]?.headers as Record<string, string>, 'wrong', Date.now()).ok).toBe(false);
  });

  it('signs each attempt with its own time: a retry an hour later passes the replay window', async () => {
    let t = Date.parse('2026-10-16T08:00:00Z');
    const r = await receiver({ reply: (_, n) => (n === 1 ? { status: 503 } : { status: 200 }) });
    const w = webhook(r, () => new Date(t));
    await expect(w.send(items(1))).rejects.toMatchObject({ permanent: false, delivered: 0 });
    t += 3_600_000;
    await w.send(items(1));
    const last = r.requests[1];
    expect(verifyWebhook(last?.body ?? '', last?.headers as Record<string, string>, SECRET, t).ok).toBe(true);
    expect(verifyWebhook(r.requests[0]?.body ?? '', r.requests[0]?.headers as Record<string, string>, SECRET, t)).toMatchObject({ ok: false, reason: /stale/ });
  });

  it('a failure mid-batch reports how many versions the receiver took; 400 is permanent', async () => {
    const r = await receiver({ reply: (_, n) => (n === 3 ? { status: 400, body: '{"error":"schema"}' } : { status: 200 }) });
    const e = (await webhook(r)
      .send(items(5))
      .catch((err: unknown) => err)) as DeliveryError;
    expect(e).toBeInstanceOf(DeliveryError);
    expect(e).toMatchObject({ permanent: true, delivered: 2 });
    expect(e.message).toContain('HTTP 400');
    expect(e.message).toContain('alert-2:3');
    expect(e.message).not.toContain(SECRET);
    expect(r.requests).toHaveLength(3);
  });

  it('a stopped receiver: transient, nothing counted as delivered', async () => {
    const r = await receiver();
    const w = webhook(r);
    await r.stop();
    await expect(w.send(items(2))).rejects.toMatchObject({ permanent: false, delivered: 0 });
  });
});
