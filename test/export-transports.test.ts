// The HTTP and file transports on a simulated fleet's alerts (issue 16): every alert version, through a small
// outbox-like driver (send in batches, skip what a failure says was delivered, retry transient failures), reaches a
// real loopback receiver exactly once and in order per alert, while the receiver answers 503, is stopped and started
// again; the OCSF file survives a crash between its write and the outbox's cursor.
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  alertToOcsf,
  createHecTransport,
  createOcsfFileTransport,
  createOcsfHttpTransport,
  createWebhookTransport,
  DeliveryError,
  type ExportItem,
  type HecEnvelope,
  type Transport,
  verifyWebhook,
  type WebhookBody,
} from '@agentwatch/exporters';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Received, type Receiver, type Reply, startReceiver } from '../services/exporters/test/http-receiver.ts';
import { ocsfValidator } from '../services/exporters/test/ocsf-validator.ts';
import { fleetAlertVersions, idOf } from './support/fleet-alert-versions.ts';
import { tempDir } from './support/temp-dir.ts';

const ORIGIN = { productVersion: '0.1.0', hostname: 'fleet-test' };
const TOKEN = 'hec-fleet-token-0123456789';
const SECRET = 'webhook-fleet-secret';
const BATCH = 16;

let items: ExportItem[];
let check: (finding: unknown) => string[];

beforeAll(async () => {
  check = ocsfValidator();
  items = await fleetAlertVersions({ agents: 20, days: 6, seed: 7, exporter: 'fleet', dir: tempDir('aw-export-transports-') });
}, 300_000);

const open: Array<Transport | Receiver> = [];
afterEach(async () => {
  for (const o of open.splice(0)) await ('stop' in o ? o.stop() : o.close());
});

interface DriveResult {
  transient: number;
  permanent: number;
}

/**
 * What the outbox does with a transport, reduced to the bone: batches from a cursor, a failure's `delivered` items
 * done, a permanent failure's item set aside, a transient one retried (no backoff: the test's receiver decides).
 */
async function drive(t: Transport, all: readonly ExportItem[], onTransient: (n: number) => Promise<void> = async () => {}): Promise<DriveResult> {
  const res = { transient: 0, permanent: 0 };
  let cursor = 0;
  while (cursor < all.length) {
    const batch = all.slice(cursor, cursor + BATCH);
    try {
      await t.send(batch);
      cursor += batch.length;
    } catch (e) {
      if (!(e instanceof DeliveryError)) throw e;
      cursor += e.delivered;
      if (e.permanent) {
        res.permanent++;
        cursor++;
      } else {
        res.transient++;
        expect(res.transient, 'the receiver came back, so retries end').toBeLessThan(50);
        await onTransient(res.transient);
      }
    }
  }
  return res;
}

/**
 * A receiver that misbehaves on a schedule: the 3rd request gets 503, and at the 6th the receiver is stopped
 * (that request cut unanswered, so nothing of it counts) and started again after the driver saw two more failures.
 */
async function flakyReceiver(ok: Reply, accept: (r: Received) => void): Promise<{ receiver: Receiver; onTransient: (n: number) => Promise<void> }> {
  let stoppedAt = 0;
  const receiver = await startReceiver({
    reply: (req, n) => {
      if (n === 3) return { status: 503, headers: { 'Retry-After': '1' } };
      if (n === 6) {
        void receiver.stop();
        return 'hang';
      }
      accept(req);
      return ok;
    },
  });
  open.push(receiver);
  const onTransient = async (n: number) => {
    if (stoppedAt === 0 && n >= 2) stoppedAt = n;
    if (stoppedAt > 0 && n === stoppedAt + 2) await receiver.restart();
  };
  return { receiver, onTransient };
}

/** Each version once, and per alert in version order. */
function expectExactlyOnceInOrder(received: string[]): void {
  expect(received.length).toBe(items.length);
  expect(new Set(received).size).toBe(items.length);
  expect(new Set(received)).toEqual(new Set(items.map(idOf)));
  const last = new Map<string, number>();
  for (const id of received) {
    const [alertId, v] = [id.slice(0, id.lastIndexOf(':')), Number(id.slice(id.lastIndexOf(':') + 1))];
    expect(v, id).toBe((last.get(alertId) ?? 0) + 1);
    last.set(alertId, v);
  }
}

describe('transports on a simulated fleet (20 agents x 6 days, seed 7), through outages', () => {
  it('has alerts of several categories in three versions each', () => {
    expect(items.length).toBeGreaterThan(60);
    expect(new Set(items.map((i) => i.alert.category)).size).toBeGreaterThan(4);
  });

  it('HEC: every version once, in order, token and envelopes checked on the wire', async () => {
    const received: string[] = [];
    const { receiver, onTransient } = await flakyReceiver({ status: 200, body: '{"text":"Success","code":0}' }, (req) => {
      expect(req.path).toBe('/services/collector/event');
      expect(req.headers['authorization']).toBe(`Splunk ${TOKEN}`);
      for (const part of req.body.split(/(?<=\})\n(?=\{"time")/)) received.push((JSON.parse(part) as HecEnvelope).event.delivery.id);
    });
    const t = createHecTransport({ url: receiver.url('/services/collector/event'), token: TOKEN, origin: ORIGIN, timeoutMs: 2000 });
    open.push(t);
    const res = await drive(t, items, onTransient);
    expect(res).toMatchObject({ permanent: 0 });
    expect(res.transient).toBeGreaterThanOrEqual(3);
    expectExactlyOnceInOrder(received);
  });

  it('webhook: every version once, in order, each signature verified', async () => {
    const received: string[] = [];
    const { receiver, onTransient } = await flakyReceiver({ status: 204 }, (req) => {
      const v = verifyWebhook(req.body, req.headers as Record<string, string>, SECRET, Date.now());
      expect(v.ok, v.ok ? '' : v.reason).toBe(true);
      received.push((JSON.parse(req.body) as WebhookBody).delivery.id);
    });
    const t = createWebhookTransport({ url: receiver.url('/hooks/agentwatch'), secret: SECRET, timeoutMs: 2000 });
    open.push(t);
    const res = await drive(t, items, onTransient);
    expect(res).toMatchObject({ permanent: 0 });
    expectExactlyOnceInOrder(received);
  });

  it('OCSF over HTTP: every version once, in order, every line a valid finding', async () => {
    const received: string[] = [];
    const invalid: string[] = [];
    const { receiver, onTransient } = await flakyReceiver({ status: 200 }, (req) => {
      expect(req.headers['content-type']).toBe('application/x-ndjson');
      for (const line of req.body.split('\n').filter(Boolean)) {
        const f = JSON.parse(line) as { metadata: { uid: string } };
        invalid.push(...check(f).map((m) => `${f.metadata.uid}: ${m}`));
        received.push(f.metadata.uid);
      }
    });
    const t = createOcsfHttpTransport({ url: receiver.url('/lake'), origin: ORIGIN, timeoutMs: 2000 });
    open.push(t);
    await drive(t, items, onTransient);
    expect(invalid).toEqual([]);
    expectExactlyOnceInOrder(received);
  });

  it('a receiver refusing one version (400): that version fails permanently, all others arrive once', async () => {
    const bad = idOf(items[20] as ExportItem);
    const received: string[] = [];
    const receiver = await startReceiver({
      reply: (req) => {
        const body = JSON.parse(req.body) as WebhookBody;
        if (body.delivery.id === bad) return { status: 400, body: 'refused' };
        received.push(body.delivery.id);
        return { status: 200 };
      },
    });
    open.push(receiver);
    const t = createWebhookTransport({ url: receiver.url('/hooks'), secret: SECRET, timeoutMs: 2000 });
    open.push(t);
    expect(await drive(t, items)).toEqual({ transient: 0, permanent: 1 });
    expect(received).toEqual(items.map(idOf).filter((id) => id !== bad));
  });

  it('a HEC refusing one event (400, code 6): that version fails permanently, all others arrive once', async () => {
    const bad = idOf(items[20] as ExportItem);
    const received: string[] = [];
    const receiver = await startReceiver({
      reply: (req) => {
        const ids = req.body.split(/(?<=\})\n(?=\{"time")/).map((part) => (JSON.parse(part) as HecEnvelope).event.delivery.id);
        // Like Splunk with a bad event: the request is refused and its place named.
        if (ids.includes(bad)) return { status: 400, body: `{"text":"Invalid data format","code":6,"invalid-event-number":${ids.indexOf(bad)}}` };
        received.push(...ids);
        return { status: 200, body: '{"text":"Success","code":0}' };
      },
    });
    open.push(receiver);
    const t = createHecTransport({ url: receiver.url('/services/collector/event'), token: TOKEN, origin: ORIGIN, timeoutMs: 2000 });
    open.push(t);
    expect(await drive(t, items)).toEqual({ transient: 0, permanent: 1 });
    expect(received).toEqual(items.map(idOf).filter((id) => id !== bad));
  });

  it('OCSF file: a crash after a write but before the cursor moved, with a torn line, repeats nothing', async () => {
    const path = join(tempDir('aw-export-ocsf-file-'), 'findings.ndjson');
    const before = createOcsfFileTransport({ path, origin: ORIGIN });
    const half = Math.floor(items.length / 2);
    let cursor = 0;
    for (; cursor + BATCH <= half; cursor += BATCH) await before.send(items.slice(cursor, cursor + BATCH));
    // The last batch is written and fsynced, then the process dies before the outbox stores its cursor, halfway
    // through writing the batch after it.
    await before.send(items.slice(cursor, cursor + BATCH));
    const torn = JSON.stringify(alertToOcsf(items[cursor + BATCH]!.alert, items[cursor + BATCH]!.delivery, ORIGIN));
    await before.close();
    appendFileSync(path, torn.slice(0, 300));

    const after = createOcsfFileTransport({ path, origin: ORIGIN });
    open.push(after);
    const held = (await after.alreadyDelivered?.()) ?? new Set<string>();
    expect(held.has(idOf(items[cursor]!))).toBe(true);
    expect(held.has(idOf(items[cursor + BATCH]!))).toBe(false);
    await drive(
      after,
      items.slice(cursor).filter((i) => !held.has(idOf(i))),
    );
    const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
    const invalid = lines.flatMap((l) => check(JSON.parse(l)));
    expect(invalid).toEqual([]);
    expectExactlyOnceInOrder(lines.map((l) => (JSON.parse(l) as { metadata: { uid: string } }).metadata.uid));
  });
});
