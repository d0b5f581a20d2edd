import { describe, expect, it } from 'vitest';
import { alertToHec, hecBody } from '../src/formats/hec.ts';
import { alertToWebhook, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhook } from '../src/formats/webhook.ts';
import { baseAlert, delivery, ORIGIN } from './fixtures.ts';

describe('Splunk HEC envelope', () => {
  it('has time in epoch seconds with ms, host, source, sourcetype, string fields and the alert id + version', () => {
    const alert = baseAlert();
    const env = alertToHec(alert, delivery({ version: 2, activity: 'updated', time: '2026-10-16T08:03:16.123Z' }), ORIGIN, 'security');
    expect(env.time).toBe(Date.parse('2026-10-16T08:03:16.123Z') / 1000);
    expect(String(env.time)).toMatch(/^\d{10}\.\d{1,3}$/);
    expect(env).toMatchObject({ host: ORIGIN.hostname, source: 'agentwatch', sourcetype: 'agentwatch:alert', index: 'security' });
    expect(env.event.alert).toEqual(alert);
    expect(env.event.delivery).toMatchObject({ id: `${alert.alert_id}:2`, alert_id: alert.alert_id, version: 2, activity: 'updated' });
    expect(env.fields).toMatchObject({ alert_id: alert.alert_id, alert_version: '2' });
    for (const v of Object.values(env.fields)) expect(typeof v).toBe('string');
    expect(alertToHec(alert, delivery(), ORIGIN)).not.toHaveProperty('index');
  });

  it('batches as concatenated JSON objects, one per line', () => {
    const body = hecBody([alertToHec(baseAlert(), delivery(), ORIGIN), alertToHec(baseAlert(), delivery({ version: 2 }), ORIGIN)]);
    expect(body.split('\n').map((l) => (JSON.parse(l) as { fields: { alert_version: string } }).fields.alert_version)).toEqual(['1', '2']);
  });
});

describe('webhook signature', () => {
  const secret = 's3cret-for-tests';
  const sentAt = '2026-10-16T08:05:00.000Z';
  const now = Date.parse(sentAt);

  it('signs the body with HMAC-SHA256 and verifies', () => {
    const req = alertToWebhook(baseAlert(), delivery({ version: 5 }), secret, sentAt);
    expect(req.headers[SIGNATURE_HEADER]).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(req.headers[TIMESTAMP_HEADER]).toBe(String(now / 1000));
    const r = verifyWebhook(req.body, req.headers, secret, now + 10_000);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.body.delivery).toMatchObject({ id: `${baseAlert().alert_id}:5`, version: 5, timestamp: now / 1000 });
  });

  it('rejects a changed body, a wrong secret, a stale or future timestamp, and a swapped timestamp header', () => {
    const req = alertToWebhook(baseAlert(), delivery(), secret, sentAt);
    const lower = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), v]));
    expect(verifyWebhook(req.body, lower, secret, now).ok).toBe(true);
    expect(verifyWebhook(req.body.replace('"new"', '"resolved"'), req.headers, secret, now)).toMatchObject({ ok: false, reason: /signature/ });
    expect(verifyWebhook(req.body, req.headers, 'other', now)).toMatchObject({ ok: false, reason: /signature/ });
    expect(verifyWebhook(req.body, req.headers, secret, now + 301_000)).toMatchObject({ ok: false, reason: /stale or replayed/ });
    expect(verifyWebhook(req.body, req.headers, secret, now - 301_000)).toMatchObject({ ok: false, reason: /stale or replayed/ });
    // A replay with a fresh timestamp header: the signed body still says the old time.
    const replay = { ...req.headers, [TIMESTAMP_HEADER]: String(now / 1000 + 3600) };
    expect(verifyWebhook(req.body, replay, secret, now + 3_600_000)).toMatchObject({ ok: false, reason: /differs/ });
    expect(verifyWebhook(req.body, {}, secret, now)).toMatchObject({ ok: false, reason: /missing/ });
  });

  it('refuses an empty secret', () => {
    expect(() => alertToWebhook(baseAlert(), delivery(), '', sentAt)).toThrow(/secret/);
  });
});
