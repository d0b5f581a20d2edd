// The RELP client of the syslog exporter (relp://) against fake RELP servers made here with node:net (the real rsyslog
// imrelp runs in test/export-syslog-relp.test.ts): the session open and its offers, syslog frames pipelined within the
// window, and every way a server can answer or fail: a failure counts exactly the leading acknowledged messages as
// delivered (partial acknowledgements, responses out of order, a 500, serverclose, a dropped connection, silence,
// garbage), so the outbox resends only the rest.
import { createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { alertToSyslog } from '../src/formats/syslog.ts';
import { encodeRelpFrame, nextTxnr, parseRelpResponse, RELP_MAX_TXNR, RelpFrameReader, RelpProtocolError } from '../src/transports/relp-frame.ts';
import { createSyslogTransport } from '../src/transports/syslog.ts';
import { parseSyslogAddress } from '../src/transports/syslog-address.ts';
import { RelpClient } from '../src/transports/syslog-relp.ts';
import { DeliveryError, type ExportItem, type Transport } from '../src/transports/transport.ts';
import { baseAlert, delivery, edgeAlerts, ORIGIN } from './fixtures.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const item = (alert = baseAlert(), version = 1): ExportItem => ({ alert, delivery: delivery({ version }) });
const items = (n: number, from = 1): ExportItem[] => Array.from({ length: n }, (_, k) => item(baseAlert(), from + k));
const line = (i: ExportItem): string => alertToSyslog(i.alert, i.delivery, ORIGIN);

function track(t: Transport): Transport {
  cleanup.push(() => t.close());
  return t;
}

interface ClientFrame {
  txnr: number;
  command: string;
  data: string;
}

/** Parses what the client sends, strictly: independent of the reader under test. */
function clientFrames(onFrame: (f: ClientFrame) => void): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      const m = /^(\d{1,9}) ([a-z]{1,32}) (\d{1,9})([ \n])/.exec(buf.subarray(0, 60).toString('latin1'));
      if (!m) return;
      const len = Number(m[3]);
      const start = m[0].length;
      const end = m[4] === '\n' ? start - 1 : start + len;
      if (buf.length < end + 1) return;
      if (buf[end] !== 0x0a) throw new Error(`client frame ${m[1]} ${m[2]}: no LF trailer`);
      onFrame({ txnr: Number(m[1]), command: m[2]!, data: buf.subarray(start, m[4] === '\n' ? start : end).toString('utf8') });
      buf = buf.subarray(end + 1);
    }
  };
}

const rsp = (s: Socket, txnr: number, data: string) => s.write(encodeRelpFrame(txnr, 'rsp', data));
const OPEN_OK = '200 OK\nrelp_version=0\nrelp_software=fake,1\ncommands=syslog';

interface FakeServer {
  port: number;
  /** syslog messages in the order frames arrived (over all connections). */
  got: string[];
  opens: string[];
  /** `close` commands received. */
  closes: number;
  connections: number;
}

/**
 * A RELP server: answers `open` with `open(conn)` (default 200 with syslog), each `syslog` frame with what
 * `onSyslog(n, conn, frame)` does (n counts syslog frames over all connections from 0), and `close` with `rsp 0`.
 */
async function fakeServer(opts: {
  open?: (conn: number) => string;
  onSyslog?: (n: number, s: Socket, f: ClientFrame, srv: FakeServer) => void;
}): Promise<FakeServer> {
  const sockets: Socket[] = [];
  const srv: FakeServer = { port: 0, got: [], opens: [], closes: 0, connections: 0 };
  let n = 0;
  const server = createServer((s) => {
    sockets.push(s);
    const conn = srv.connections++;
    s.on('error', () => {});
    s.on(
      'data',
      clientFrames((f) => {
        if (f.command === 'open') {
          srv.opens.push(f.data);
          rsp(s, f.txnr, opts.open?.(conn) ?? OPEN_OK);
        } else if (f.command === 'syslog') {
          srv.got.push(f.data);
          const k = n++;
          if (opts.onSyslog) opts.onSyslog(k, s, f, srv);
          else rsp(s, f.txnr, '200 OK');
        } else if (f.command === 'close') {
          srv.closes++;
          s.write(encodeRelpFrame(f.txnr, 'rsp'));
          s.end(encodeRelpFrame(0, 'serverclose'));
        }
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  srv.port = (server.address() as { port: number }).port;
  cleanup.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return srv;
}

const relp = (srv: FakeServer, over: { timeoutMs?: number; relpWindow?: number } = {}) =>
  track(createSyslogTransport({ address: `relp://127.0.0.1:${srv.port}`, origin: ORIGIN, timeoutMs: 2_000, ...over }));

async function failure(p: Promise<unknown>): Promise<DeliveryError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeliveryError);
  return err as DeliveryError;
}

describe('RELP framing', () => {
  it('encodes TXNR SP COMMAND SP DATALEN [SP DATA] LF, DATALEN in octets, no data part when empty', () => {
    expect(encodeRelpFrame(7, 'syslog', 'é').toString('utf8')).toBe('7 syslog 2 é\n');
    expect(encodeRelpFrame(3, 'close').toString('utf8')).toBe('3 close 0\n');
  });

  it('reads frames split anywhere, several in one chunk, a hint without data', () => {
    const bytes = Buffer.concat([encodeRelpFrame(1, 'rsp', '200 OK\nrelp_version=0'), encodeRelpFrame(0, 'serverclose'), encodeRelpFrame(2, 'rsp', '200 OK')]);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const r = new RelpFrameReader();
      const frames = [...r.push(bytes.subarray(0, cut)), ...r.push(bytes.subarray(cut))];
      expect(
        frames.map((f) => [f.txnr, f.command, f.data.toString()]),
        `cut at ${cut}`,
      ).toEqual([
        [1, 'rsp', '200 OK\nrelp_version=0'],
        [0, 'serverclose', ''],
        [2, 'rsp', '200 OK'],
      ]);
    }
  });

  it.each([
    ['x rsp 6 200 OK\n', /bad RELP frame header/],
    ['1234567890 rsp 0\n', /bad RELP frame header/],
    ['1 rsp 6 200 OKX', /no LF after/],
    ['1 rsp 6\n', /announces data but ends the frame/],
    ['1 rsp 999999 ', /over the 1024 accepted/],
    [`1 ${'r'.repeat(40)} 0\n`, /bad RELP frame header/],
  ])('refuses %j', (bytes, why) => {
    expect(() => new RelpFrameReader(1024).push(Buffer.from(bytes, 'latin1'))).toThrow(why);
  });

  it('transaction numbers wrap from 999,999,999 to 1; a response needs a 3-digit status', () => {
    expect(nextTxnr(RELP_MAX_TXNR)).toBe(1);
    expect(nextTxnr(41)).toBe(42);
    expect(parseRelpResponse(Buffer.from('200 OK\nrelp_version=0'))).toEqual({ status: 200, text: 'OK', body: 'relp_version=0' });
    expect(parseRelpResponse(Buffer.from('500'))).toEqual({ status: 500, text: '', body: '' });
    expect(() => parseRelpResponse(Buffer.from('OK'))).toThrow(RelpProtocolError);
  });

  it('relp:// and relp+tls:// addresses; TLS settings belong to relp+tls://', () => {
    expect(parseSyslogAddress('relp://127.0.0.1:2514')).toEqual({ protocol: 'relp', host: '127.0.0.1', port: 2514 });
    expect(parseSyslogAddress('relp+tls://[::1]:2515')).toEqual({ protocol: 'relp+tls', host: '::1', port: 2515 });
    expect(() => createSyslogTransport({ address: 'relp://127.0.0.1:2514', origin: ORIGIN, tls: { ca: 'x' } })).toThrow(/relp\+tls:\/\//);
    expect(() => createSyslogTransport({ address: 'relps://127.0.0.1:2514', origin: ORIGIN })).toThrow(/unknown protocol "relps"/);
  });
});

describe('syslog over RELP', () => {
  it('opens a session offering relp_version=0 and syslog, sends each line as a syslog frame in order, keeps the session, closes it', async () => {
    const srv = await fakeServer({});
    const t = relp(srv);
    const all = edgeAlerts().map((a, n) => item(a, n + 1));
    await t.send(all.slice(0, 5));
    await t.send(all.slice(5));
    await t.close();
    expect(srv.got).toEqual(all.map(line));
    expect(srv.connections).toBe(1);
    expect(srv.closes).toBe(1);
    expect(srv.opens).toHaveLength(1);
    expect(srv.opens[0]!.split('\n')).toEqual(['relp_version=0', `relp_software=agentwatch,${ORIGIN.productVersion}`, 'commands=syslog']);
  });

  it('pipelines frames within the window and no further', async () => {
    // The server holds its answers until 4 frames are outstanding (or 300 ms passed, for the batch's tail): a client
    // that waited for each answer would take 300 ms a frame, one that ignored the window would push past 4.
    const held: [Socket, number][] = [];
    let most = 0;
    let timer: NodeJS.Timeout | undefined;
    const answer = () => {
      clearTimeout(timer);
      for (const [s, txnr] of held.splice(0)) rsp(s, txnr, '200 OK');
    };
    const srv = await fakeServer({
      onSyslog: (_n, s, f) => {
        held.push([s, f.txnr]);
        most = Math.max(most, held.length);
        if (held.length >= 4) answer();
        else {
          clearTimeout(timer);
          timer = setTimeout(answer, 300);
        }
      },
    });
    await relp(srv, { relpWindow: 4 }).send(items(30));
    expect(srv.got).toHaveLength(30);
    expect(most).toBe(4);
  });

  it('connection lost after 3 acknowledgements: transient, delivered 3; resending the rest on a new session completes', async () => {
    const srv = await fakeServer({
      onSyslog: (n, s, f) => {
        if (n < 3) rsp(s, f.txnr, '200 OK');
        else if (n === 5) s.destroy();
        else if (n >= 10) rsp(s, f.txnr, '200 OK');
      },
    });
    const t = relp(srv);
    const batch = items(10);
    const err = await failure(t.send(batch));
    expect(err).toMatchObject({ permanent: false, delivered: 3 });
    expect(err.message).toMatch(new RegExp(`relp://127\\.0\\.0\\.1:${srv.port}: .*(closed|ECONNRESET)`));
    await t.send(batch.slice(err.delivered));
    expect(srv.connections).toBe(2);
    // Messages 3-5 reached the server before the connection broke: sent again, the outbox's only repeats.
    expect(srv.got.slice(-7)).toEqual(batch.slice(3).map(line));
  });

  it('counts only the LEADING acknowledged messages: responses out of order, the first one missing', async () => {
    const srv = await fakeServer({
      onSyslog: (n, s, f) => {
        if (n === 0) return;
        if (n < 4) rsp(s, f.txnr, '200 OK');
        if (n === 3) setTimeout(() => s.destroy(), 50);
      },
    });
    const err = await failure(relp(srv).send(items(4)));
    expect(err).toMatchObject({ permanent: false, delivered: 0 });
  });

  it('a 500 response refuses that message permanently: delivered = the ones before it; the session goes on', async () => {
    const srv = await fakeServer({
      onSyslog: (n, s, f) => rsp(s, f.txnr, n === 2 ? '500 message not accepted' : '200 OK'),
    });
    const t = relp(srv);
    const batch = items(6);
    const err = await failure(t.send(batch));
    expect(err).toMatchObject({ permanent: true, delivered: 2 });
    expect(err.message).toMatch(/refused message 2 of the batch: 500 message not accepted/);
    // The outbox keeps item 2 as failed and goes on with the next.
    await t.send(batch.slice(3));
    expect(srv.connections).toBe(1);
    expect(srv.got.slice(-3)).toEqual(batch.slice(3).map(line));
  });

  it("the server's serverclose hint ends the session: transient, delivered = what it acknowledged first", async () => {
    const srv = await fakeServer({
      onSyslog: (n, s, f) => {
        if (n < 2) rsp(s, f.txnr, '200 OK');
        if (n === 1) s.write(encodeRelpFrame(0, 'serverclose'));
      },
    });
    const err = await failure(relp(srv).send(items(5)));
    expect(err).toMatchObject({ permanent: false, delivered: 2 });
    expect(err.message).toMatch(/serverclose/);
  });

  it('a server that stops answering fails the send after timeoutMs (transient), never hangs', async () => {
    const srv = await fakeServer({ onSyslog: (n, s, f) => n === 0 && rsp(s, f.txnr, '200 OK') });
    const err = await failure(relp(srv, { timeoutMs: 500 }).send(items(3)));
    expect(err).toMatchObject({ permanent: false, delivered: 1 });
    expect(err.message).toMatch(/no response within 500 ms/);
  });

  it.each([
    ['refuses the open', () => '500 required command not supported by client', /refused the session: 500 required command/],
    ['does not offer syslog', () => '200 OK\nrelp_version=0\ncommands=eventlog', /does not offer the syslog command/],
    ['answers without relp_version', () => '200 OK\ncommands=syslog', /did not offer relp_version/],
    ['answers garbage', () => 'hello', /protocol error/],
  ])('a server that %s: transient, nothing sent as syslog', async (_what, open, why) => {
    const srv = await fakeServer({ open });
    const err = await failure(relp(srv).send(items(2)));
    expect(err).toMatchObject({ permanent: false, delivered: 0 });
    expect(err.message).toMatch(why);
    expect(srv.got).toEqual([]);
  });

  it('a frame that breaks the framing ends the session (transient); an unasked-for response too', async () => {
    const garbled = await fakeServer({ onSyslog: (_n, s) => s.write('2 rsp 6 200 OKjunk') });
    expect(await failure(relp(garbled).send(items(1)))).toMatchObject({ permanent: false, delivered: 0, message: expect.stringMatching(/no LF/) });
    const stray = await fakeServer({ onSyslog: (_n, s) => rsp(s, 77, '200 OK') });
    expect(await failure(relp(stray).send(items(1)))).toMatchObject({ permanent: false, message: expect.stringMatching(/unexpected frame 77 rsp/) });
  });

  it('a refused connection is transient, naming the address; the next send connects', async () => {
    const srv = await fakeServer({});
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const err = await failure(track(createSyslogTransport({ address: `relp://127.0.0.1:${port}`, origin: ORIGIN, timeoutMs: 2_000 })).send(items(1)));
    expect(err).toMatchObject({ permanent: false, delivered: 0 });
    expect(err.message).toMatch(/ECONNREFUSED/);
    await relp(srv).send(items(1));
    expect(srv.got).toHaveLength(1);
  });

  it('a message over the frame limit fails permanently after the ones before it', async () => {
    const srv = await fakeServer({});
    const client = new RelpClient({ address: parseSyslogAddress(`relp://127.0.0.1:${srv.port}`), timeoutMs: 2_000, software: 'test', maxDataBytes: 100 });
    cleanup.push(() => client.close());
    const err = await failure(client.send([Buffer.from('small'), Buffer.from('x'.repeat(101)), Buffer.from('after')]));
    expect(err).toMatchObject({ permanent: true, delivered: 1 });
    expect(srv.got).toEqual(['small']);
  });
});
