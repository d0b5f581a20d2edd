// The syslog transport's own rules, against plain node:net / node:dgram receivers made here (the real rsyslog runs in
// test/export-syslog.test.ts): the address it accepts, RFC 6587 octet counting in octets, the UDP size limit as a
// permanent failure naming the alert, and every way a receiver can fail ending in a transient DeliveryError bounded by
// timeoutMs instead of a hang.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { deliveryId } from '../src/formats/delivery.ts';
import { alertToSyslog } from '../src/formats/syslog.ts';
import { createSyslogTransport, SYSLOG_UDP_MAX_BYTES } from '../src/transports/syslog.ts';
import { parseSyslogAddress } from '../src/transports/syslog-address.ts';
import { octetCountedFrame } from '../src/transports/syslog-stream.ts';
import { DeliveryError, type ExportItem, type Transport } from '../src/transports/transport.ts';
import { baseAlert, delivery, edgeAlerts, ORIGIN } from './fixtures.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const item = (alert = baseAlert(), version = 1): ExportItem => ({ alert, delivery: delivery({ version }) });

function track(t: Transport): Transport {
  cleanup.push(() => t.close());
  return t;
}

/** A TCP server on a free loopback port; `onSocket` decides what it does with a connection. */
async function tcpServer(onSocket: (s: Socket) => void): Promise<{ server: Server; port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((s) => {
    sockets.push(s);
    s.on('error', () => {});
    onSocket(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanup.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return { server, port: (server.address() as { port: number }).port, sockets };
}

async function udpServer(): Promise<{ socket: UdpSocket; port: number; got: Buffer[] }> {
  const got: Buffer[] = [];
  const socket = createSocket('udp4');
  socket.on('message', (m) => got.push(m));
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  cleanup.push(() => new Promise<void>((r) => socket.close(() => r())));
  return { socket, port: socket.address().port, got };
}

/** Splits a byte stream into RFC 6587 octet-counted frames, failing on anything else. */
function unframe(bytes: Buffer): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < bytes.length) {
    const sp = bytes.indexOf(0x20, i);
    const len = bytes.subarray(i, sp).toString('ascii');
    if (!/^[1-9]\d*$/.test(len)) throw new Error(`no octet count at byte ${i}: ${JSON.stringify(len.slice(0, 20))}`);
    const end = sp + 1 + Number(len);
    if (end > bytes.length) throw new Error(`frame at byte ${i} runs past the end`);
    out.push(bytes.subarray(sp + 1, end).toString('utf8'));
    i = end;
  }
  return out;
}

describe('syslog exporter address', () => {
  it.each([
    ['tcp://127.0.0.1:514', { protocol: 'tcp', host: '127.0.0.1', port: 514 }],
    ['udp://syslog.corp.example:514', { protocol: 'udp', host: 'syslog.corp.example', port: 514 }],
    ['tls://[::1]:6514', { protocol: 'tls', host: '::1', port: 6514 }],
  ])('%s', (address, want) => {
    expect(parseSyslogAddress(address)).toEqual(want);
  });

  it.each([
    ['http://127.0.0.1:514', /unknown protocol "http"/],
    ['tcp://127.0.0.1', /not a host and port/],
    ['127.0.0.1:514', /not a host and port/],
    ['tcp://:514', /not a host and port/],
    ['tcp://127.0.0.1:0', /port 0 is out of range/],
    ['udp://127.0.0.1:70000', /port 70000 is out of range/],
    ['tcp://host name:514', /not a host and port/],
    ['tcp://127.0.0.1:514/path', /not a host and port/],
    ['tcp://user@127.0.0.1:514', /not a host and port/],
  ])('refuses %s, naming it', (address, why) => {
    expect(() => createSyslogTransport({ address, origin: ORIGIN })).toThrow(why);
    expect(() => createSyslogTransport({ address, origin: ORIGIN })).toThrow(JSON.stringify(address));
  });

  it('refuses TLS settings on a plain tcp:// or udp:// address rather than sending in clear', () => {
    expect(() => createSyslogTransport({ address: 'tcp://127.0.0.1:514', origin: ORIGIN, tls: { ca: 'x' } })).toThrow(/use tls:\/\//);
  });
});

describe('syslog over TCP', () => {
  it('frames each line as <octets> <msg>, counting UTF-8 octets, in order, on one connection', async () => {
    const chunks: Buffer[] = [];
    const srv = await tcpServer((s) => s.on('data', (d: Buffer) => chunks.push(d)));
    const t = track(createSyslogTransport({ address: `tcp://127.0.0.1:${srv.port}`, origin: ORIGIN }));
    const items = edgeAlerts().map((a, n) => item(a, n + 1));
    expect(items.some((i) => Buffer.byteLength(alertToSyslog(i.alert, i.delivery, ORIGIN)) !== alertToSyslog(i.alert, i.delivery, ORIGIN).length)).toBe(true);
    await t.send(items.slice(0, 10));
    await t.send(items.slice(10));
    await t.close();
    await new Promise<void>((r) => (srv.sockets[0]?.readableEnded ? r() : srv.sockets[0]?.once('end', () => r())));
    expect(unframe(Buffer.concat(chunks))).toEqual(items.map((i) => alertToSyslog(i.alert, i.delivery, ORIGIN)));
    expect(srv.sockets).toHaveLength(1);
    expect(octetCountedFrame('é').toString('utf8')).toBe('2 é');
  });

  it('a refused connection is a transient DeliveryError naming the address; the next send connects again', async () => {
    const srv = await tcpServer(() => {});
    const { port } = srv;
    await new Promise<void>((r) => srv.server.close(() => r()));
    const t = track(createSyslogTransport({ address: `tcp://127.0.0.1:${port}`, origin: ORIGIN, timeoutMs: 2_000 }));
    const err = await t.send([item()]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err).toMatchObject({ permanent: false, delivered: 0 });
    expect((err as Error).message).toMatch(new RegExp(`tcp://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
  });

  it('a receiver that accepts and drops the connection at once fails every send (transient), never counts a lost batch as sent', async () => {
    const chunks: Buffer[] = [];
    let refuse = 3;
    const srv = await tcpServer((s) => {
      // Like rsyslog refusing a client certificate: the connection is accepted, then dropped a moment later.
      if (refuse-- > 0) setTimeout(() => s.resetAndDestroy(), 20);
      else s.on('data', (d: Buffer) => chunks.push(d));
    });
    const t = track(createSyslogTransport({ address: `tcp://127.0.0.1:${srv.port}`, origin: ORIGIN, timeoutMs: 2_000 }));
    for (const v of [1, 2, 3]) {
      const err = await t.send([item(baseAlert(), v)]).catch((e: unknown) => e);
      expect(err, `send ${v}`).toBeInstanceOf(DeliveryError);
      expect(err).toMatchObject({ permanent: false, delivered: 0 });
      expect((err as Error).message).toMatch(/right after accepting it|ECONNRESET/);
    }
    // Once the receiver takes the connection, the same transport delivers.
    await t.send([item(baseAlert(), 4)]);
    await t.close();
    await new Promise<void>((r) => (srv.sockets[3]?.readableEnded ? r() : srv.sockets[3]?.once('end', () => r())));
    expect(unframe(Buffer.concat(chunks))).toEqual([alertToSyslog(baseAlert(), delivery({ version: 4 }), ORIGIN)]);
  });

  it('a receiver that accepts but never reads fails the send after timeoutMs instead of hanging', async () => {
    const srv = await tcpServer((s) => s.pause());
    const t = track(createSyslogTransport({ address: `tcp://127.0.0.1:${srv.port}`, origin: ORIGIN, timeoutMs: 1_000 }));
    // Far more than loopback's socket buffers hold (~20 kB a line).
    const big = baseAlert({
      owner: 'o'.repeat(4_000),
      summary: 's'.repeat(1_000),
      evidence: { event_ids: [], token_ids: ['t'.repeat(4_000)], delegation_chain: ['c'.repeat(4_000)] },
    });
    const items = Array.from({ length: 3_000 }, (_, n) => item(big, n + 1));
    const err = await t.send(items).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err).toMatchObject({ permanent: false, delivered: 0 });
    expect((err as Error).message).toMatch(/not flushed within 1000 ms/);
  });

  it('a TLS receiver that never answers the handshake fails the send after timeoutMs', async () => {
    const srv = await tcpServer(() => {});
    const t = track(createSyslogTransport({ address: `tls://127.0.0.1:${srv.port}`, origin: ORIGIN, timeoutMs: 500, tls: {} }));
    const err = await t.send([item()]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeliveryError);
    expect((err as Error).message).toMatch(/no connection within 500 ms/);
  });
});

describe('syslog over UDP', () => {
  it('sends one line per datagram; a line over 65,000 octets is a permanent failure naming the alert, after the ones before it', async () => {
    const srv = await udpServer();
    const t = track(createSyslogTransport({ address: `udp://127.0.0.1:${srv.port}`, origin: ORIGIN }));
    // 4-octet characters in every long custom string: each is cut at 4,000 code points, together well over the limit.
    const wide = '🦜'.repeat(5_000);
    const huge = baseAlert({ alert_id: 'huge', rule_id: wide, owner: wide, evidence: { event_ids: [], token_ids: [wide], delegation_chain: [wide] } });
    const items = [item(baseAlert(), 1), item(huge, 1), item(baseAlert(), 2)];
    expect(Buffer.byteLength(alertToSyslog(huge, items[1]!.delivery, ORIGIN))).toBeGreaterThan(SYSLOG_UDP_MAX_BYTES);
    const err = await t.send(items).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err).toMatchObject({ permanent: true, delivered: 1 });
    expect((err as Error).message).toContain(deliveryId('huge', 1));
    // The outbox goes on after the failed item.
    await t.send(items.slice(2));
    for (let n = 0; n < 50 && srv.got.length < 2; n++) await new Promise((r) => setTimeout(r, 20));
    expect(srv.got.map((d) => d.toString('utf8'))).toEqual([items[0]!, items[2]!].map((i) => alertToSyslog(i.alert, i.delivery, ORIGIN)));
  });

  it('a closed port (ICMP port unreachable) surfaces as a transient ECONNREFUSED on a later datagram, not a crash', async () => {
    const srv = await udpServer();
    const { port } = srv;
    await new Promise<void>((r) => srv.socket.close(() => r()));
    cleanup.pop();
    const t = track(createSyslogTransport({ address: `udp://127.0.0.1:${port}`, origin: ORIGIN, timeoutMs: 2_000 }));
    const err = await t.send([1, 2, 3, 4, 5].map((v) => item(baseAlert(), v))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err).toMatchObject({ permanent: false, delivered: 0 });
    expect((err as Error).message).toMatch(/ECONNREFUSED/);
  });
});
