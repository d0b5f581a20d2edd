// The soak's own broker (infra/kafka/kafka-local.sh in a state dir of its own) and a stop/start that KEEPS its data:
// the script's `stop` deletes the data dir, so a restart re-runs the very command line of the broker JVM (read from
// /proc) on the same data dir and ports, like a broker process restarted by its service manager.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KAFKA_LOCAL_SCRIPT, REPO_ROOT } from '../support/kafka.ts';
import { freePort, script } from '../support/own-broker.ts';
import { alive } from '../support/up-process.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const portOpen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

export interface SoakBroker {
  readonly address: string;
  start(): Promise<void>;
  /** SIGTERM the broker JVM, wait `downMs`, start the same command line again; resolves once it serves. */
  restart(downMs: number): Promise<void>;
  /** Stops it and deletes its data and state dir. */
  dispose(): Promise<void>;
}

export async function soakBroker(): Promise<SoakBroker> {
  const port = await freePort();
  const stateDir = mkdtempSync(join(tmpdir(), 'aw-soak-broker-'));
  const env = { AGENTWATCH_KAFKA_STATE_DIR: stateDir, AGENTWATCH_KAFKA_PORT: String(port), AGENTWATCH_KAFKA_OWNER_PID: String(process.pid) };
  let watchdog: ChildProcess | null = null;
  const pidFile = join(stateDir, 'pid');
  const serverLog = join(stateDir, 'logs', 'server.log');
  return {
    address: `127.0.0.1:${port}`,
    async start() {
      const r = await script(['start'], env, 300_000);
      if (r.code !== 0) throw new Error(`kafka-local.sh start failed (exit ${r.code}):\n${r.stderr.split('\n').slice(-20).join('\n')}`);
    },
    async restart(downMs) {
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      process.kill(pid, 'SIGTERM');
      for (let i = 0; alive(pid); i++) {
        if (i === 300) process.kill(pid, 'SIGKILL');
        await sleep(100);
      }
      await sleep(downMs);
      writeFileSync(serverLog, '');
      const out = openSync(join(stateDir, 'logs', 'stdout.log'), 'a');
      const child = spawn(argv[0] as string, argv.slice(1), { cwd, detached: true, stdio: ['ignore', out, out] });
      closeSync(out);
      child.unref();
      const newPid = child.pid as number;
      writeFileSync(pidFile, String(newPid));
      // The script's watchdog ended with the old JVM: one of our own stops the new one if this process dies.
      watchdog?.kill();
      watchdog = spawn(
        'bash',
        ['-c', `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${newPid} 2>/dev/null; do sleep 2; done; kill ${newPid} 2>/dev/null`],
        {
          detached: true,
          stdio: 'ignore',
        },
      );
      watchdog.unref();
      const end = Date.now() + 180_000;
      for (;;) {
        if (!alive(newPid)) throw new Error(`the restarted broker exited; see ${stateDir}/logs`);
        if (existsSync(serverLog) && readFileSync(serverLog, 'utf8').includes('Kafka Server started') && (await portOpen(port))) return;
        if (Date.now() > end) throw new Error(`the restarted broker did not serve within 180 s; see ${stateDir}/logs`);
        await sleep(200);
      }
    },
    async dispose() {
      watchdog?.kill();
      await script(['stop'], env, 60_000).catch(() => undefined);
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
