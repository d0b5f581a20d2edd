// A real ClickHouse server (Debian's clickhouse-server, installed by scripts/ensure-clickhouse-server.sh) for the
// client side of agentwatch's ClickHouse security settings: HTTPS only, a client certificate signed by its own CA
// required at the handshake, one user with a password. Everything lives in a temp dir made here, certificates included.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { REPO_ROOT } from './kafka.ts';

export interface ClickHouseTlsServer {
  url: string;
  /** CA of the server's certificate; also the CA client certificates must chain to. */
  ca: string;
  /** A client certificate and key the server accepts. */
  clientCert: string;
  clientKey: string;
  user: string;
  passwordFile: string;
  password: string;
  log(): string;
  stop(): Promise<void>;
}

/** Runs scripts/ensure-clickhouse-server.sh: '' when clickhouse-server is there (installed if need be), else why not. */
export function ensureClickHouseServer(): string {
  const r = spawnSync('bash', [join(REPO_ROOT, 'scripts', 'ensure-clickhouse-server.sh')], { encoding: 'utf8', timeout: 600_000 });
  if (r.status === 0) return '';
  return (r.stderr || r.error?.message || `ensure-clickhouse-server.sh exited with ${r.status}`).trim().split('\n').pop() ?? 'clickhouse-server missing';
}

const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A CA, and a certificate it signed for `cn` (with `ext` extensions, e.g. the server's names). */
export function caSigned(dir: string, name: string, cn: string, ca: { cert: string; key: string }, ext?: string): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.pem`);
  openssl(['req', ...EC, '-keyout', key, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir);
  const extArgs: string[] = [];
  if (ext) {
    writeFileSync(join(dir, `${name}.ext`), `${ext}\n`);
    extArgs.push('-extfile', `${name}.ext`);
  }
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', cert, '-days', '1', ...extArgs], dir);
  return { cert, key };
}

export function makeCa(dir: string, name: string): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.pem`);
  openssl(['req', '-x509', ...EC, '-keyout', key, '-out', cert, '-days', '1', '-subj', `/CN=${name}`], dir);
  return { cert, key };
}

/** GET /ping over mutual TLS: the answer's text, or '' when there is none (yet). */
function ping(url: string, ca: string, client: { cert: string; key: string }): Promise<string> {
  return new Promise((resolve) => {
    const req = httpsGet(`${url}/ping`, { ca: readFileSync(ca), cert: readFileSync(client.cert), key: readFileSync(client.key), timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString();
      });
      res.on('end', () => resolve(body.trim()));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(''));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Starts the server in `dir` and resolves once GET /ping answers over mutual TLS. */
export async function startClickHouseTls(dir: string): Promise<ClickHouseTlsServer> {
  mkdirSync(join(dir, 'data', 'tmp'), { recursive: true });
  const ca = makeCa(dir, 'clickhouse-ca');
  const server = caSigned(dir, 'clickhouse-server', 'localhost', ca, 'subjectAltName=IP:127.0.0.1,DNS:localhost');
  const client = caSigned(dir, 'clickhouse-client', 'agentwatch', ca);
  const password = `ch-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  const passwordFile = join(dir, 'clickhouse-password');
  writeFileSync(passwordFile, `${password}\n`);
  const user = 'agentwatch';
  const port = await freePort();
  writeFileSync(
    join(dir, 'users.xml'),
    `<yandex><profiles><default></default></profiles><quotas><default></default></quotas><users><${user}><password>${password}</password><networks><ip>::/0</ip></networks><profile>default</profile><quota>default</quota></${user}></users></yandex>\n`,
  );
  writeFileSync(
    join(dir, 'config.xml'),
    `<yandex>
  <logger><level>warning</level><console>1</console></logger>
  <listen_host>127.0.0.1</listen_host>
  <https_port>${port}</https_port>
  <openSSL><server>
    <certificateFile>${server.cert}</certificateFile>
    <privateKeyFile>${server.key}</privateKeyFile>
    <caConfig>${ca.cert}</caConfig>
    <verificationMode>strict</verificationMode>
    <loadDefaultCAFile>false</loadDefaultCAFile>
    <disableProtocols>sslv2,sslv3</disableProtocols>
  </server></openSSL>
  <path>${join(dir, 'data')}/</path>
  <tmp_path>${join(dir, 'data', 'tmp')}/</tmp_path>
  <users_config>${join(dir, 'users.xml')}</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>5368709</mark_cache_size>
</yandex>\n`,
  );
  let out = '';
  const proc: ChildProcess = spawn('clickhouse-server', [`--config-file=${join(dir, 'config.xml')}`], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const url = `https://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if ((await ping(url, ca.cert, client)) === 'Ok.') break;
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`clickhouse-server did not answer on ${url} (exit ${proc.exitCode}):\n${out.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    ca: ca.cert,
    clientCert: client.cert,
    clientKey: client.key,
    user,
    password,
    passwordFile,
    log: () => out,
    stop: async () => {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
