// Shared by the `agentwatch up` end-to-end tests that run against a real Kafka broker: spawning the CLI as a child
// process, polling, and a cross-file lock. `up` always joins the consumer group `agentwatch-collector` (there is no
// setting for it), so two `up` processes on the same broker share one group even on different topics; the lock keeps
// the test files (vitest runs them in parallel forks) from running `up` at the same time.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');

export interface UpProcess {
  proc: ChildProcess;
  /** http://host:port once the listen line was printed. */
  base: Promise<string>;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or null when killed by a signal) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnUp(args: string[], env: Record<string, string>): UpProcess {
  const proc = spawn(process.execPath, [join(ROOT, 'bin/agentwatch.mjs'), 'up', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const base = new Promise<string>((resolve, reject) => {
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (https?:\/\/\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    void exited.then(({ code, signal }) => reject(new Error(`agentwatch up exited (code ${code}, signal ${signal}) before listening\n${err.slice(-3000)}`)));
  });
  base.catch(() => undefined);
  proc.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  return { proc, base, exited, stdout: () => out, stderr: () => err };
}

/**
 * `up` in-process (HTTP ingest, embedded store, no Kafka) on `<dir>/registry.yaml` and `<dir>/data`, with a bootstrap
 * token, on a free port.
 */
export function spawnLocalUp(dir: string, token: string, env: Record<string, string> = {}): UpProcess {
  return spawnUp(['--registry', join(dir, 'registry.yaml'), '--data', join(dir, 'data'), '--listen', '127.0.0.1:0'], {
    AGENTWATCH_BOOTSTRAP_TOKEN: token,
    KAFKA_BROKERS: '',
    CLICKHOUSE_URL: '',
    ...env,
  });
}

/** POSTs NDJSON event lines to `up` in bodies of `chunk` lines; each must be accepted (202), else it throws. */
export async function postEvents(base: string, headers: Record<string, string>, lines: readonly string[], chunk = 5000): Promise<void> {
  for (let i = 0; i < lines.length; i += chunk) {
    const res = await fetch(`${base}/v1/events`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/x-ndjson' },
      body: lines.slice(i, i + chunk).join('\n'),
    });
    if (res.status !== 202) throw new Error(`POST /v1/events answered ${res.status}: ${await res.text()}`);
  }
}

/** Test teardown: SIGKILLs the processes still running and waits until every one has exited. */
export async function killAll(procs: readonly UpProcess[]): Promise<void> {
  for (const p of procs) if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
}

export async function waitFor<T>(what: string, fn: () => Promise<T | null>, ms: number, context: () => string = () => ''): Promise<T> {
  const end = performance.now() + ms;
  let lastError = '';
  for (;;) {
    const v = await fn().catch((e: unknown) => {
      lastError = e instanceof Error ? e.message : String(e);
      return null;
    });
    if (v !== null) return v;
    if (performance.now() > end)
      throw new Error(`timed out after ${ms} ms waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}\n${context().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** A lock (one directory per broker) held by one test file at a time; a lock whose owner process is gone is taken over. */
export async function lockUp(brokers: string[], timeoutMs = 600_000): Promise<() => void> {
  const dir = join(tmpdir(), `agentwatch-up-kafka-lock-${brokers.join('_').replace(/[^A-Za-z0-9_.-]/g, '_')}`);
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, 'pid'), String(process.pid));
      return () => rmSync(dir, { recursive: true, force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let owner = 0;
      try {
        owner = Number(readFileSync(join(dir, 'pid'), 'utf8'));
      } catch {
        // being created or removed right now
      }
      if (owner > 0 && !alive(owner)) rmSync(dir, { recursive: true, force: true });
      else if (Date.now() > end) throw new Error(`could not take ${dir} within ${timeoutMs} ms (held by pid ${owner})`);
      else await new Promise((r) => setTimeout(r, 500));
    }
  }
}

export function readNdjson<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);
}
