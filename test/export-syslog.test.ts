// The syslog exporter's transport against a REAL rsyslog (Debian's rsyslog + rsyslog-gnutls, installed by
// scripts/ensure-rsyslog.sh, started here in the foreground with its own config): every alert version of a simulated
// fleet goes over TCP (octet counting), UDP and TLS (a test CA); rsyslog's own parse of each line (PRI, hostname,
// app-name, msgid) is checked and the CEF it kept reads back to the alert's fields. Then the receiver is stopped in
// mid-stream: a send fails with a transient DeliveryError (bounded by timeoutMs, no crash, no hang) and the same
// transport delivers again once rsyslog is back.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { alertToCef, createSyslogTransport, DeliveryError, type ExportItem, SYSLOG_FACILITY, SYSLOG_SEVERITY, type Transport } from '@agentwatch/exporters';
import { Alert, CATEGORIES } from '@agentwatch/schemas';
import { simulateFleet } from '@agentwatch/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replay } from '../services/cli/src/commands/replay.ts';
import { parseCef } from '../services/exporters/test/cef-parser.ts';
import { edgeAlerts } from '../services/exporters/test/fixtures.ts';
import { makeCa } from './support/clickhouse-server.ts';
import { ensureRsyslog, type Rsyslog, type RsyslogListener, type RsyslogRecord, startRsyslog } from './support/rsyslog.ts';
import { tempDir } from './support/temp-dir.ts';

const dir = tempDir('aw-export-syslog-');
const missing = ensureRsyslog();
const required = !!process.env['CI'] && process.env['CI'] !== 'false' && process.env['CI'] !== '0';
const ORIGIN = { productVersion: '0.1.0', hostname: 'aw-syslog-test' };
/** CEF severity per alert severity (README's CEF table). */
const CEF_SEVERITY = { info: '1', low: '3', medium: '5', high: '8', critical: '10' } as const;
const TIMEOUT_MS = 5_000;
const BATCH = 20;

let rsyslog: Rsyslog;
let alerts: Alert[];
const transports: Transport[] = [];

/**
 * Every fleet alert in three steps of its life (created, acknowledged, resolved), as the outbox hands them over, then
 * the hand-made edge alerts (every category and severity, pipes, equals, newlines, emoji, NUL in the text).
 */
function fleetItems(exporter: string): ExportItem[] {
  const life: [Alert['status'] | undefined, ExportItem['delivery']['activity']][] = [
    [undefined, 'created'],
    ['acknowledged', 'updated'],
    ['resolved', 'closed'],
  ];
  const time = (n: number, v: number) => new Date(Date.UTC(2026, 9, 21, 0, n, v)).toISOString();
  return [
    ...alerts.flatMap((a, n) =>
      life.map(([status, activity], v) => ({ alert: status ? { ...a, status } : a, delivery: { exporter, version: v + 1, activity, time: time(n, v) } })),
    ),
    ...edgeAlerts().map((alert, n) => ({ alert, delivery: { exporter, version: 1, activity: 'created' as const, time: time(n, 30) } })),
  ];
}

function transport(listener: RsyslogListener): Transport {
  const t = createSyslogTransport({
    address: rsyslog.address[listener],
    origin: ORIGIN,
    timeoutMs: TIMEOUT_MS,
    ...(listener === 'tls' ? { tls: { ca: readFileSync(rsyslog.caFile) } } : {}),
  });
  transports.push(t);
  return t;
}

/** Sends in batches, waiting after each until rsyslog wrote it (UDP has no flow control: a burst could overflow a buffer). */
async function sendAll(t: Transport, listener: RsyslogListener, items: ExportItem[]): Promise<void> {
  const before = rsyslog.received(listener).length;
  for (let i = 0; i < items.length; i += BATCH) {
    const batch = items.slice(i, i + BATCH);
    await t.send(batch);
    await rsyslog.waitFor(listener, before + i + batch.length);
  }
}

const cs5 = (r: RsyslogRecord): string => parseCef(r.msg).ext.get('cs5') ?? '';

beforeAll(async () => {
  if (missing !== '' && !required) return;
  if (missing !== '') throw new Error(missing);
  rsyslog = await startRsyslog(dir);
  const fleet = join(dir, 'fleet');
  await simulateFleet({ agents: 20, days: 6, seed: 7, outDir: fleet });
  await replay({
    registry: join(fleet, 'registry.yaml'),
    files: [join(fleet, 'events.ndjson')],
    inputFormat: 'canonical',
    out: join(fleet, 'alerts.ndjson'),
    log: () => {},
  });
  alerts = readFileSync(join(fleet, 'alerts.ndjson'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => Alert.parse(JSON.parse(l)));
}, 600_000);

afterAll(async () => {
  for (const t of transports) await t.close().catch(() => undefined);
  await rsyslog?.stop();
});

describe.skipIf(missing !== '' && !required)(`syslog export to a real rsyslog${missing ? ` (skipped: ${missing})` : ''}`, () => {
  describe.each(['tcp', 'udp', 'tls'] as const)('%s', (listener) => {
    it('every alert version of a simulated fleet arrives once, parsed by rsyslog, and its CEF reads back to the alert', async () => {
      expect(new Set(alerts.map((a) => a.category))).toEqual(new Set(CATEGORIES));
      const items = fleetItems(`soc-${listener}`);
      await sendAll(transport(listener), listener, items);
      const got = rsyslog.received(listener);
      // Exactly once: as many records as items, one per alert id + version.
      expect(got).toHaveLength(items.length);
      const byId = new Map(got.map((r) => [cs5(r), r]));
      expect(byId.size).toBe(items.length);
      for (const { alert, delivery } of items) {
        const id = `${alert.alert_id}:${delivery.version}`;
        const r = byId.get(id);
        expect(r, id).toBeDefined();
        // rsyslog parsed the RFC 5424 header (a failed parse leaves protocol-version 0 and no app-name / msgid).
        expect({ ...r!, msg: '' }, id).toEqual({
          pri: String(SYSLOG_FACILITY * 8 + SYSLOG_SEVERITY[alert.severity]),
          hostname: ORIGIN.hostname,
          app_name: 'agentwatch',
          msgid: 'alert',
          structured_data: '-',
          protocol_version: '1',
          timereported: delivery.time,
          msg: '',
        });
        // The message is the CEF byte for byte (octet counting kept it whole), and reads back to the alert.
        expect(r!.msg, id).toBe(alertToCef(alert, delivery, ORIGIN));
        const { header, ext } = parseCef(r!.msg);
        expect(header.slice(0, 5), id).toEqual(['CEF:0', 'agentwatch', 'agentwatch', ORIGIN.productVersion, alert.rule_id]);
        expect(header[6], id).toBe(CEF_SEVERITY[alert.severity]);
        expect(ext.get('suser'), id).toBe(alert.agent_id);
        expect(ext.get('externalId'), id).toBe(alert.alert_id);
        expect(ext.get('cnt'), id).toBe(String(alert.count));
        expect(ext.get('cn1'), id).toBe(String(delivery.version));
        expect(ext.get('cs2'), id).toBe(alert.category);
        expect(ext.get('flexString2'), id).toBe(alert.status);
      }
    });
  });

  it('TLS: a receiver whose certificate another CA signed is refused with a transient DeliveryError; nothing arrives', async () => {
    const before = rsyslog.received('tls').length;
    const stranger = createSyslogTransport({
      address: rsyslog.address.tls,
      origin: ORIGIN,
      timeoutMs: TIMEOUT_MS,
      tls: { ca: readFileSync(makeCa(dir, 'stranger-ca').cert) },
    });
    transports.push(stranger);
    const err = await stranger.send(fleetItems('stranger').slice(0, 1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeliveryError);
    expect((err as DeliveryError).permanent).toBe(false);
    expect((err as Error).message).toMatch(/certificate/i);
    expect(rsyslog.received('tls')).toHaveLength(before);
  });

  it('TLS with a client certificate: delivered when the receiver requires one; without it every send fails and nothing is lost as sent', async () => {
    const ca = readFileSync(rsyslog.caFile);
    const items = fleetItems('mtls').slice(0, 3);
    const withCert = createSyslogTransport({
      address: rsyslog.address.mtls,
      origin: ORIGIN,
      timeoutMs: TIMEOUT_MS,
      tls: { ca, cert: readFileSync(rsyslog.client.cert), key: readFileSync(rsyslog.client.key) },
    });
    transports.push(withCert);
    await withCert.send(items);
    expect((await rsyslog.waitFor('mtls', items.length)).map(cs5)).toEqual(items.map((i) => `${i.alert.alert_id}:${i.delivery.version}`));
    // rsyslog checks the client certificate after the TLS 1.3 handshake, which the client already counts done: the
    // transport waits for the receiver to keep the connection before writing, so the refusal is a failed send.
    const without = createSyslogTransport({ address: rsyslog.address.mtls, origin: ORIGIN, timeoutMs: TIMEOUT_MS, tls: { ca } });
    transports.push(without);
    for (const n of [1, 2, 3]) {
      const err = await without.send(fleetItems('no-cert').slice(0, 2)).catch((e: unknown) => e);
      expect(err, `send ${n}`).toBeInstanceOf(DeliveryError);
      expect((err as DeliveryError).permanent).toBe(false);
    }
    expect(rsyslog.received('mtls')).toHaveLength(items.length);
  });

  it('receiver stopped mid-stream: each transport throws a transient DeliveryError, then delivers on the same transport after the restart', async () => {
    const ts = { tcp: transport('tcp'), udp: transport('udp'), tls: transport('tls') };
    const items = fleetItems('outage');
    const [first, during, after] = [items.slice(0, 5), items.slice(5, 10), items.slice(10, 15)];
    const counts = { tcp: 0, udp: 0, tls: 0 };
    for (const l of ['tcp', 'udp', 'tls'] as const) {
      counts[l] = rsyslog.received(l).length;
      await ts[l].send(first);
      await rsyslog.waitFor(l, counts[l] + first.length);
    }
    await rsyslog.stop();
    for (const l of ['tcp', 'udp', 'tls'] as const) {
      // TCP and TLS see the closed connection or the refused reconnect; UDP sees the ICMP port unreachable of its first
      // datagram on a later one, so its batch of 5 fails too. Never a hang: each send is bounded by timeoutMs.
      const err = await ts[l].send(during).catch((e: unknown) => e);
      expect(err, l).toBeInstanceOf(DeliveryError);
      expect((err as DeliveryError).permanent, l).toBe(false);
      expect((err as Error).message, l).toMatch(/ECONNREFUSED|ECONNRESET|EPIPE|closed/);
    }
    await rsyslog.start();
    for (const l of ['tcp', 'udp', 'tls'] as const) {
      // The outbox resends the failed batch, then goes on.
      await ts[l].send(during);
      await ts[l].send(after);
      const got = await rsyslog.waitFor(l, counts[l] + 15);
      const ids = got.slice(counts[l]).map(cs5);
      expect(ids, l).toEqual([...first, ...during, ...after].map((i) => `${i.alert.alert_id}:${i.delivery.version}`));
    }
  });
});
