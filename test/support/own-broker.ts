// A Kafka broker of a test's own, on a port the test picks before the broker exists, that the test starts and stops
// when it wants (the shared broker of kafka-global-setup.ts must stay up for the other suites). Started with
// infra/kafka/kafka-local.sh in a state dir of its own; its watchdog stops it if the test process dies. `halt` and
// `resume` take it down and bring it back KEEPING its data (an outage, not a new cluster): the script's `stop`
// deletes the data dir, so `resume` re-runs the very command line of the halted JVM on the same data dir and ports.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KAFKA_LOCAL_SCRIPT, REPO_ROOT } from './kafka.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const portOpen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

/** A loopback port nobody listens on right now (the kernel's pick). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Runs infra/kafka/kafka-local.sh with `args`; its exit code and stderr (rejects past `timeoutMs`). */
export function script(args: string[], env: Record<string, string>, timeoutMs: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [KAFKA_LOCAL_SCRIPT, ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`kafka-local.sh ${args.join(' ')} did not finish within ${timeoutMs} ms:\n${stderr}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

export interface OwnBroker {
  /** host:port, known before the broker runs. */
  readonly address: string;
  /** Starts the broker (a fresh one, no data) and resolves once it serves. */
  start(): Promise<void>;
  /** Stops it (its data is deleted); a no-op when it is not running. */
  stop(): Promise<void>;
  /** Stops the running broker's JVM (SIGTERM, as a service manager would) keeping its data dir and ports. */
  halt(): Promise<void>;
  /** Starts the halted broker again on its data and ports; resolves once it serves. */
  resume(): Promise<void>;
  /** Stops it if running and removes its state dir (test teardown). */
  dispose(): Promise<void>;
}

/** A broker on a free port, not started yet. */
export async function ownBroker(): Promise<OwnBroker> {
  const port = await freePort();
  const stateDir = mkdtempSync(join(tmpdir(), 'aw-own-broker-'));
  const env = { AGENTWATCH_KAFKA_STATE_DIR: stateDir, AGENTWATCH_KAFKA_PORT: String(port), AGENTWATCH_KAFKA_OWNER_PID: String(process.pid) };
  const pidFile = join(stateDir, 'pid');
  const serverLog = join(stateDir, 'logs', 'server.log');
  /** The halted JVM's command line and working dir, for `resume`. */
  let halted: { argv: string[]; cwd: string } | null = null;
  /** Stops a resumed JVM if the test process dies (the script's watchdog ended with the halted one). */
  let watchdog: ChildProcess | null = null;
  const stop = async () => {
    watchdog?.kill();
    watchdog = null;
    halted = null;
    const r = await script(['stop'], env, 60_000);
    if (r.code !== 0) throw new Error(`kafka-local.sh stop failed (exit ${r.code}):\n${r.stderr}`);
  };
  return {
    address: `127.0.0.1:${port}`,
    start: async () => {
      const r = await script(['start'], env, 300_000);
      if (r.code !== 0) throw new Error(`kafka-local.sh start failed (exit ${r.code}):\n${r.stderr.split('\n').slice(-20).join('\n')}`);
    },
    stop,
    halt: async () => {
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      halted = { argv: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean), cwd: readlinkSync(`/proc/${pid}/cwd`) };
      process.kill(pid, 'SIGTERM');
      for (let i = 0; alive(pid); i++) {
        if (i === 300) process.kill(pid, 'SIGKILL');
        await sleep(100);
      }
      watchdog?.kill();
      watchdog = null;
    },
    resume: async () => {
      if (!halted) throw new Error('own broker: resume() without halt()');
      const { argv, cwd } = halted;
      writeFileSync(serverLog, '');
      const out = openSync(join(stateDir, 'logs', 'stdout.log'), 'a');
      const child = spawn(argv[0] as string, argv.slice(1), { cwd, detached: true, stdio: ['ignore', out, out] });
      closeSync(out);
      child.unref();
      const pid = child.pid as number;
      writeFileSync(pidFile, String(pid));
      halted = null;
      watchdog = spawn('bash', ['-c', `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${pid} 2>/dev/null; do sleep 2; done; kill ${pid} 2>/dev/null`], {
        detached: true,
        stdio: 'ignore',
      });
      watchdog.unref();
      const end = Date.now() + 180_000;
      for (;;) {
        if (!alive(pid)) throw new Error(`the resumed broker exited; see ${stateDir}/logs`);
        if (existsSync(serverLog) && readFileSync(serverLog, 'utf8').includes('Kafka Server started') && (await portOpen(port))) return;
        if (Date.now() > end) throw new Error(`the resumed broker did not serve within 180 s; see ${stateDir}/logs`);
        await sleep(200);
      }
    },
    dispose: async () => {
      await stop().catch(() => undefined);
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
