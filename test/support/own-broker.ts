// A Kafka broker of a test's own, on a port the test picks before the broker exists, that the test starts and stops
// when it wants (the shared broker of kafka-global-setup.ts must stay up for the other suites). Started with
// infra/kafka/kafka-local.sh in a state dir of its own; its watchdog stops it if the test process dies.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KAFKA_LOCAL_SCRIPT, REPO_ROOT } from './kafka.ts';

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
  /** Stops it if running and removes its state dir (test teardown). */
  dispose(): Promise<void>;
}

/** A broker on a free port, not started yet. */
export async function ownBroker(): Promise<OwnBroker> {
  const port = await freePort();
  const stateDir = mkdtempSync(join(tmpdir(), 'aw-own-broker-'));
  const env = { AGENTWATCH_KAFKA_STATE_DIR: stateDir, AGENTWATCH_KAFKA_PORT: String(port), AGENTWATCH_KAFKA_OWNER_PID: String(process.pid) };
  const stop = async () => {
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
    dispose: async () => {
      await stop().catch(() => undefined);
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
