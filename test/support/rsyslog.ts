// A real rsyslog (Debian's rsyslog, rsyslog-gnutls and rsyslog-relp, installed by scripts/ensure-rsyslog.sh) for the
// syslog exporter's tests: rsyslogd in the foreground with its own config in a temp dir, listening on loopback with
// plain TCP (imtcp), UDP (imudp), TLS (imtcp with the GnuTLS driver, a certificate from a test CA made here) and RELP
// (imrelp, plain and with TLS requiring a client certificate). Each listener writes what
// it received to its own file as JSON built from the properties rsyslog PARSED out of the RFC 5424 line (PRI, hostname,
// app-name, msgid, structured data, protocol version, message), so a test sees what the receiver understood, not the
// bytes that were sent.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { caSigned, makeCa } from './clickhouse-server.ts';
import { REPO_ROOT } from './kafka.ts';

/**
 * `mtls`: TLS that requires a client certificate the test CA signed (rsyslog's x509/certvalid). `relp`: imrelp;
 * `relptls`: imrelp with TLS, which librelp runs with a client certificate required (certvalid).
 */
export type RsyslogListener = 'tcp' | 'udp' | 'tls' | 'mtls' | 'relp' | 'relptls';

/** One message as rsyslog parsed it (the template's fields). */
export interface RsyslogRecord {
  pri: string;
  hostname: string;
  app_name: string;
  msgid: string;
  structured_data: string;
  protocol_version: string;
  timereported: string;
  msg: string;
}

export interface Rsyslog {
  /** `tcp://127.0.0.1:<port>` and the like, as a syslog exporter's `address`. */
  address: Record<RsyslogListener, string>;
  /** The CA that signed the TLS listener's certificate (for 127.0.0.1 and localhost). */
  caFile: string;
  /** A client certificate and key the test CA signed, which the `mtls` and `relptls` listeners accept. */
  client: { cert: string; key: string };
  /** What the listener has written so far (agentwatch's messages only, the readiness probes left out). */
  received(listener: RsyslogListener): RsyslogRecord[];
  /** Polls `received` until it holds at least `n` records, or throws after `timeoutMs` with what arrived and rsyslog's output. */
  waitFor(listener: RsyslogListener, n: number, timeoutMs?: number): Promise<RsyslogRecord[]>;
  /** SIGTERM, then waits for the exit (SIGKILL after 10 s). */
  stop(): Promise<void>;
  /** Starts rsyslogd again with the same config and ports; resolves once every listener takes messages. */
  start(): Promise<void>;
  /** rsyslogd's own stdout and stderr. */
  log(): string;
}

/** Runs scripts/ensure-rsyslog.sh: '' when rsyslogd, its TLS driver and imrelp are there (installed if need be), else why not. */
export function ensureRsyslog(): string {
  const r = spawnSync('bash', [join(REPO_ROOT, 'scripts', 'ensure-rsyslog.sh')], { encoding: 'utf8', timeout: 600_000 });
  if (r.status === 0) return '';
  return (r.stderr || r.error?.message || `ensure-rsyslog.sh exited with ${r.status}`).trim().split('\n').pop() ?? 'rsyslogd missing';
}

const PROBE_APP = 'rsyslog-probe';
/** Debian puts rsyslogd in /usr/sbin, which a non-root PATH may lack. */
const RSYSLOGD = existsSync('/usr/sbin/rsyslogd') ? '/usr/sbin/rsyslogd' : 'rsyslogd';

function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.on('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function config(dir: string, ports: Record<RsyslogListener, number>, tls: { ca: string; cert: string; key: string }): string {
  const file = (name: string) => join(dir, `${name}.json`);
  const ruleset = (name: RsyslogListener) =>
    `ruleset(name="${name}") {
  if $app-name == "${PROBE_APP}" then { action(type="omfile" file="${join(dir, `${name}.probe`)}" template="parsed") stop }
  action(type="omfile" file="${file(name)}" template="parsed")
}`;
  return `# agentwatch syslog export test: written by test/support/rsyslog.ts
global(workDirectory="${dir}" maxMessageSize="64k"
  defaultNetstreamDriverCAFile="${tls.ca}" defaultNetstreamDriverCertFile="${tls.cert}" defaultNetstreamDriverKeyFile="${tls.key}")
module(load="imtcp")
module(load="imudp")
module(load="imrelp")
template(name="parsed" type="list" option.jsonf="on") {
  property(outname="pri" name="pri" format="jsonf")
  property(outname="hostname" name="hostname" format="jsonf")
  property(outname="app_name" name="app-name" format="jsonf")
  property(outname="msgid" name="msgid" format="jsonf")
  property(outname="structured_data" name="structured-data" format="jsonf")
  property(outname="protocol_version" name="protocol-version" format="jsonf")
  property(outname="timereported" name="timereported" dateFormat="rfc3339" format="jsonf")
  property(outname="msg" name="msg" format="jsonf")
}
${ruleset('tcp')}
${ruleset('udp')}
${ruleset('tls')}
${ruleset('mtls')}
${ruleset('relp')}
${ruleset('relptls')}
input(type="imtcp" address="127.0.0.1" port="${ports.tcp}" ruleset="tcp")
input(type="imudp" address="127.0.0.1" port="${ports.udp}" ruleset="udp" rcvbufSize="8m")
input(type="imtcp" address="127.0.0.1" port="${ports.tls}" ruleset="tls"
  streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")
input(type="imtcp" address="127.0.0.1" port="${ports.mtls}" ruleset="mtls"
  streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="x509/certvalid")
input(type="imrelp" address="127.0.0.1" port="${ports.relp}" ruleset="relp")
input(type="imrelp" address="127.0.0.1" port="${ports.relptls}" ruleset="relptls"
  tls="on" tls.caCert="${tls.ca}" tls.myCert="${tls.cert}" tls.myPrivKey="${tls.key}" tls.authMode="certvalid")
`;
}

/** The complete lines of a listener's file (rsyslog may be in the middle of writing the last one). */
function readRecords(path: string): RsyslogRecord[] {
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, 'utf8').split('\n');
  lines.pop();
  return lines.map((l) => JSON.parse(l) as RsyslogRecord);
}

/** A TCP connection to the port is accepted (closed at once). */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Sends a probe line (filtered into `<listener>.probe`) over UDP; the listener is up once one shows there. */
function probeUdp(port: number): Promise<void> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.on('error', () => {});
    s.send(`<13>1 - probe ${PROBE_APP} - - - ready`, port, '127.0.0.1', () => s.close(() => resolve()));
  });
}

/** Makes the CA and the TLS listener's certificate in `dir`, picks free ports, writes the config and starts rsyslogd. */
export async function startRsyslog(dir: string): Promise<Rsyslog> {
  const ca = makeCa(dir, 'syslog-ca');
  const server = caSigned(dir, 'syslog-server', 'localhost', ca, 'subjectAltName=IP:127.0.0.1,DNS:localhost');
  const client = caSigned(dir, 'syslog-client', 'agentwatch', ca);
  const ports: Record<RsyslogListener, number> = {
    tcp: await freeTcpPort(),
    udp: await freeUdpPort(),
    tls: await freeTcpPort(),
    mtls: await freeTcpPort(),
    relp: await freeTcpPort(),
    relptls: await freeTcpPort(),
  };
  const conf = join(dir, 'rsyslog.conf');
  writeFileSync(conf, config(dir, ports, { ca: ca.cert, cert: server.cert, key: server.key }));
  let out = '';
  let proc: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const start = async (): Promise<void> => {
    const p = spawn(RSYSLOGD, ['-n', '-f', conf, '-i', join(dir, 'rsyslogd.pid')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    proc = p;
    p.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    p.stderr?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    const probes = readRecords(join(dir, 'udp.probe')).length;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const up = (await Promise.all([ports.tcp, ports.tls, ports.mtls, ports.relp, ports.relptls].map(accepts))).every(Boolean);
      if (up) await probeUdp(ports.udp);
      await new Promise((r) => setTimeout(r, 100));
      if (up && readRecords(join(dir, 'udp.probe')).length > probes) return;
      if (p.exitCode !== null || Date.now() > deadline) {
        p.kill('SIGKILL');
        throw new Error(`rsyslogd did not come up on ${JSON.stringify(ports)} (exit ${p.exitCode}):\n${out.slice(-2000)}`);
      }
    }
  };
  const stop = async (): Promise<void> => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null) return;
    p.kill('SIGTERM');
    const timer = setTimeout(() => p.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  const received = (l: RsyslogListener) => readRecords(join(dir, `${l}.json`));

  await start();
  return {
    address: {
      tcp: `tcp://127.0.0.1:${ports.tcp}`,
      udp: `udp://127.0.0.1:${ports.udp}`,
      tls: `tls://127.0.0.1:${ports.tls}`,
      mtls: `tls://127.0.0.1:${ports.mtls}`,
      relp: `relp://127.0.0.1:${ports.relp}`,
      relptls: `relp+tls://127.0.0.1:${ports.relptls}`,
    },
    caFile: ca.cert,
    client,
    received,
    async waitFor(l, n, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const got = received(l);
        if (got.length >= n) return got;
        if (Date.now() > deadline) throw new Error(`rsyslog ${l}: ${got.length} of ${n} messages after ${timeoutMs} ms\n${out.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    stop,
    start,
    log: () => out,
  };
}
