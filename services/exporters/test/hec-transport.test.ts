import { afterEach, describe, expect, it } from 'vitest';
import { alertToHec, type HecEnvelope, hecBody } from '../src/formats/hec.ts';
import { createHecTransport, hecReplyError } from '../src/transports/hec.ts';
import { DeliveryError, type ExportItem, type Transport } from '../src/transports/transport.ts';
import { baseAlert, delivery, ORIGIN } from './fixtures.ts';
import { type Receiver, startReceiver } from './http-receiver.ts';

const TOKEN = '11111111-2222-3333-4444-555555555555';
const open: Array<Transport | Receiver> = [];
afterEach(async () => {
  for (const o of open.splice(0)) await ('stop' in o ? o.stop() : o.close());
});
async function receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
  const r = await startReceiver(...args);
  open.push(r);
  return r;
}
function hec(r: Receiver, over: Partial<Parameters<typeof createHecTransport>[0]> = {}): Transport {
  const t = createHecTransport({ url: r.url('/services/collector/event'), token: TOKEN, origin: ORIGIN, timeoutMs: 5000, ...over });
  open.push(t);
  return t;
}
async function failure(p: Promise<unknown>): Promise<DeliveryError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DeliveryError);
  return e as DeliveryError;
}
/** HEC's batch body: JSON objects one after another (split where one object closes and the next opens). */
const envelopes = (body: string): HecEnvelope[] => body.split(/(?<=\})\s*(?=\{"time")/).map((s) => JSON.parse(s) as HecEnvelope);
const items = (n: number): ExportItem[] =>
  Array.from({ length: n }, (_, i) => ({ alert: baseAlert({ alert_id: `alert-${i}` }), delivery: delivery({ exporter: 'splunk', version: 1 + (i % 3) }) }));
const SUCCESS = { status: 200, body: '{"text":"Success","code":0}' };

describe('HEC transport on a loopback receiver', () => {
  it('POSTs concatenated envelopes to /services/collector/event with the Splunk token', async () => {
    const r = await receiver();
    await hec(r, { index: 'security' }).send(items(3));
    expect(r.requests).toHaveLength(1);
    const [req] = r.requests;
    expect(req).toMatchObject({ method: 'POST', path: '/services/collector/event' });
    expect(req?.headers['authorization']).toBe(`Splunk ${TOKEN}`);
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers['x-splunk-request-channel']).toMatch(/^[0-9a-f-]{36}$/);
    const got = envelopes(req?.body ?? '');
    expect(got.map((e) => e.event.delivery.id)).toEqual(['alert-0:1', 'alert-1:2', 'alert-2:3']);
    for (const e of got) expect(e).toMatchObject({ host: ORIGIN.hostname, source: 'agentwatch', sourcetype: 'agentwatch:alert', index: 'security' });
  });

  it('splits a batch over the body cap into several requests, in order', async () => {
    const r = await receiver();
    const one = Buffer.byteLength(hecBody([alertToHec(baseAlert({ alert_id: 'alert-0' }), delivery({ exporter: 'splunk' }), ORIGIN)]));
    await hec(r, { maxBodyBytes: one * 2 + 10 }).send(items(5));
    expect(r.requests.map((q) => envelopes(q.body).length)).toEqual([2, 2, 1]);
    expect(r.requests.flatMap((q) => envelopes(q.body).map((e) => e.event.delivery.alert_id))).toEqual(['alert-0', 'alert-1', 'alert-2', 'alert-3', 'alert-4']);
  });

  it('HEC busy (503, code 9) is transient with Retry-After; the retry succeeds', async () => {
    const r = await receiver({
      reply: (_, n) => (n === 1 ? { status: 503, headers: { 'Retry-After': '3' }, body: '{"text":"Server is busy","code":9}' } : SUCCESS),
    });
    const t = hec(r);
    const e = await failure(t.send(items(2)));
    expect(e).toMatchObject({ permanent: false, delivered: 0 });
    expect(e.opts.retryAfterMs).toBe(3000);
    expect(e.message).toContain('HEC code 9 "Server is busy"');
    await t.send(items(2));
    expect(r.requests).toHaveLength(2);
  });

  it('an invalid event fails alone: the refused request is resent one event per request', async () => {
    // A strict HEC: refuses any request holding alert-2, naming its place (as Splunk's invalid-event-number does).
    const r = await receiver({
      reply: (req) => {
        const at = envelopes(req.body).findIndex((e) => e.event.alert.alert_id === 'alert-2');
        return at < 0 ? SUCCESS : { status: 400, body: `{"text":"Invalid data format","code":6,"invalid-event-number":${at}}` };
      },
    });
    const e = await failure(hec(r).send(items(4)));
    expect(e).toMatchObject({ permanent: true, delivered: 2 });
    expect(e.message).toContain('HEC code 6 "Invalid data format", event 0 of the request');
    expect(r.requests.map((q) => envelopes(q.body).map((x) => x.event.alert.alert_id))).toEqual([
      ['alert-0', 'alert-1', 'alert-2', 'alert-3'],
      ['alert-0'],
      ['alert-1'],
      ['alert-2'],
    ]);
  });

  it('across split requests, delivered counts the earlier requests too', async () => {
    const r = await receiver({
      reply: (_, n) => (n === 1 ? SUCCESS : { status: 400, body: '{"text":"Invalid data format","code":6,"invalid-event-number":0}' }),
    });
    const e = await failure(hec(r, { maxBodyBytes: 4000 }).send(items(4)));
    const first = envelopes(r.requests[0]?.body ?? '').length;
    expect(first).toBeLessThan(4);
    expect(e).toMatchObject({ permanent: true, delivered: first });
  });

  it('a refused token is retried (the backlog waits for a fixed token) and the token never appears in the error', async () => {
    const r = await receiver({ reply: () => ({ status: 403, body: `{"text":"Invalid token","code":4}` }) });
    const e = await failure(hec(r).send(items(1)));
    expect(e.permanent).toBe(false);
    expect(e.message).toContain('HEC code 4');
    expect(e.message).not.toContain(TOKEN);
  });

  it('a 200 that is not a HEC status object (a wrong URL) is not a delivery; retried until the URL is fixed', async () => {
    const r = await receiver({ reply: () => ({ status: 200, body: '<html>welcome</html>' }) });
    const e = await failure(hec(r).send(items(1)));
    expect(e.permanent).toBe(false);
    expect(e.message).toMatch(/not a HEC status object/);
  });

  it('only HEC codes that refuse the data (5, 6, 12, 13) are permanent; receiver and configuration codes are retried', () => {
    expect(hecReplyError({ status: 502, headers: {}, body: 'bad gateway' }, 'x')?.permanent).toBe(false);
    expect(hecReplyError({ status: 200, headers: {}, body: '{"code":7,"text":"Incorrect index"}' }, 'x')?.permanent).toBe(false);
    expect(hecReplyError({ status: 400, headers: {}, body: '{"code":6,"text":"Invalid data format"}' }, 'x')?.permanent).toBe(true);
    expect(hecReplyError({ status: 400, headers: {}, body: '{"code":12,"text":"Event field is required"}' }, 'x')?.permanent).toBe(true);
    expect(hecReplyError({ status: 401, headers: {}, body: '{"code":2,"text":"Token is required"}' }, 'x')?.permanent).toBe(false);
    expect(hecReplyError({ status: 500, headers: {}, body: '{"code":8,"text":"Internal server error"}' }, 'x')?.permanent).toBe(false);
    expect(hecReplyError({ status: 503, headers: {}, body: '{"code":18,"text":"HEC is unhealthy, queues are full"}' }, 'x')?.permanent).toBe(false);
    expect(hecReplyError({ status: 200, headers: {}, body: '{"text":"Success","code":0}' }, 'x')).toBeNull();
  });

  it('an event alone over the body cap fails permanently after delivering those before it', async () => {
    const r = await receiver();
    const big = items(3);
    big[1] = { alert: baseAlert({ alert_id: 'big', summary: 'x'.repeat(10_000) }), delivery: delivery() };
    const e = await failure(hec(r, { maxBodyBytes: 5000 }).send(big));
    expect(e).toMatchObject({ permanent: true, delivered: 1 });
    expect(r.requests.flatMap((q) => envelopes(q.body).map((x) => x.event.delivery.alert_id))).toEqual(['alert-0']);
  });

  it('refuses an empty token at construction', () => {
    expect(() => createHecTransport({ url: 'http://127.0.0.1:1/services/collector/event', token: '', origin: ORIGIN })).toThrow(/token/);
  });
});
