// A real Apache Kafka broker for integration tests — never a mock. Where it comes from, in order:
//   1. KAFKA_BROKERS (comma-separated host:port) when set: someone else runs the broker.
//   2. Testcontainers, when a Docker engine answers and `@testcontainers/kafka` is installed (optional dependency,
//      imported dynamically).
//   3. infra/kafka/kafka-local.sh: Apache Kafka's own jars from Maven Central, run as a local JVM (no Docker needed).
// AGENTWATCH_KAFKA_MODE=env|testcontainers|local-script forces one of them.
//
// When no broker can be had, acquireKafka() throws KafkaUnavailableError. Whether that fails the run or skips the
// Kafka tests is the caller's choice: kafkaRequired() is true under CI (process.env.CI) or AGENTWATCH_REQUIRE_KAFKA=1,
// and then it must fail (see kafka-global-setup.ts).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';

export type KafkaHow = 'env' | 'testcontainers' | 'local-script';

/** The broker's TLS and SASL listeners (kafka-local.sh only): where they are and the files a client needs. */
export interface KafkaSecureListeners {
  /** SSL listener: a client certificate signed by the test CA is required. */
  tlsBrokers: string[];
  /** SASL_SSL listener: PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 for the user in `tlsDir/sasl-user`. */
  saslBrokers: string[];
  /** ca.pem, client.pem, client.key, sasl-user, sasl-password. */
  tlsDir: string;
}

export interface KafkaHandle {
  brokers: string[];
  /** The TLS and SASL listeners, when the broker has them (kafka-local.sh; not KAFKA_BROKERS or Testcontainers). */
  secure?: KafkaSecureListeners;
  /** Stops the broker if this handle started it; a no-op for KAFKA_BROKERS or a broker that was already running. */
  stop(): Promise<void>;
  how: KafkaHow;
}

export class KafkaUnavailableError extends Error {
  override name = 'KafkaUnavailableError';
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Bootstrap servers of the test broker; empty when none could be had (then kafkaUnavailable says why). */
    kafkaBrokers: string[];
    kafkaHow: KafkaHow | '';
    kafkaUnavailable: string;
    /** The broker's TLS and SASL listeners; null when it has none (a broker from KAFKA_BROKERS or Testcontainers). */
    kafkaSecure: KafkaSecureListeners | null;
  }
}

export const REPO_ROOT = join(import.meta.dirname, '..', '..');
export const KAFKA_LOCAL_SCRIPT = join(REPO_ROOT, 'infra', 'kafka', 'kafka-local.sh');
/** Confluent Platform 7.9 ships Apache Kafka 3.9 (the version kafka-local.sh runs). */
export const DEFAULT_KAFKA_IMAGE = 'confluentinc/cp-kafka:7.9.0';

const env = (name: string): string | undefined => {
  const v = process.env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
};

/** True where a missing broker must fail the run instead of skipping the Kafka tests. */
export function kafkaRequired(): boolean {
  const ci = env('CI');
  const req = env('AGENTWATCH_REQUIRE_KAFKA');
  return (ci !== undefined && ci !== 'false' && ci !== '0') || (req !== undefined && req !== '0' && req !== 'false');
}

function log(msg: string): void {
  process.stderr.write(`[kafka] ${msg}\n`);
}

export function parseBrokers(list: string): string[] {
  return list
    .split(',')
    .map((b) => b.trim().replace(/^[A-Za-z_]+:\/\//, ''))
    .filter((b) => b.length > 0);
}

// --- Docker probe -------------------------------------------------------------------------------------------------

type DockerTarget = { socketPath: string } | { host: string; port: number };

function dockerTarget(): DockerTarget | undefined {
  const host = env('DOCKER_HOST');
  if (host?.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  if (host?.startsWith('tcp://')) {
    const u = new URL(host.replace(/^tcp:/, 'http:'));
    return { host: u.hostname, port: Number(u.port || 2375) };
  }
  if (host) return undefined; // ssh:// and friends: leave to Testcontainers' own detection, do not guess.
  const candidates = ['/var/run/docker.sock', join(homedir(), '.docker', 'run', 'docker.sock')];
  const xdg = env('XDG_RUNTIME_DIR');
  if (xdg) candidates.push(join(xdg, 'docker.sock'), join(xdg, 'podman', 'podman.sock'));
  const found = candidates.find((p) => existsSync(p));
  return found ? { socketPath: found } : undefined;
}

/** Does a Docker engine answer GET /_ping within timeoutMs? Never hangs, never throws. */
export async function dockerAnswers(timeoutMs = 1500): Promise<boolean> {
  const target = dockerTarget();
  if (!target) return false;
  if ('host' in target && env('DOCKER_TLS_VERIFY')) {
    // TLS engine: a TCP connect is as far as a quick probe goes.
    return new Promise((resolve) => {
      const s = connect({ host: target.host, port: target.port });
      const done = (ok: boolean) => {
        s.destroy();
        resolve(ok);
      };
      s.setTimeout(timeoutMs, () => done(false));
      s.once('connect', () => done(true));
      s.once('error', () => done(false));
    });
  }
  return new Promise((resolve) => {
    let settled = false;
    const finish = (ok: boolean) => {
      if (!settled) {
        settled = true;
        resolve(ok);
      }
    };
    const req = request({ ...target, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      finish(res.statusCode === 200);
    });
    req.on('timeout', () => {
      req.destroy();
      finish(false);
    });
    req.on('error', () => finish(false));
    req.end();
  });
}

// --- the three ways -----------------------------------------------------------------------------------------------

interface StartedContainer {
  getHost(): string;
  getMappedPort(port: number): number;
  stop(): Promise<unknown>;
}
interface KafkaContainerModule {
  KafkaContainer: new (
    image: string,
  ) => {
    withKraft(): { start(): Promise<StartedContainer> };
  };
}

async function viaTestcontainers(): Promise<KafkaHandle> {
  const specifier = '@testcontainers/kafka';
  let mod: KafkaContainerModule;
  try {
    mod = (await import(/* @vite-ignore */ specifier)) as KafkaContainerModule;
  } catch (err) {
    throw new KafkaUnavailableError(`Docker answers but ${specifier} is not installed (${(err as Error).message})`);
  }
  const image = env('AGENTWATCH_KAFKA_IMAGE') ?? DEFAULT_KAFKA_IMAGE;
  log(`starting ${image} with Testcontainers ...`);
  const started = await new mod.KafkaContainer(image).withKraft().start();
  // @testcontainers/kafka's PLAINTEXT listener for clients outside the container is its port 9093.
  const brokers = [`${started.getHost()}:${started.getMappedPort(9093)}`];
  return {
    brokers,
    how: 'testcontainers',
    stop: async () => {
      await started.stop();
    },
  };
}

interface ScriptResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runScript(args: string[], timeoutMs: number, extraEnv: Record<string, string> = {}, echo = true): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [KAFKA_LOCAL_SCRIPT, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (echo) process.stderr.write(d); // progress ("fetching ...", "ready in N s") and errors
    });
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new KafkaUnavailableError(`kafka-local.sh ${args.join(' ')} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const brokersIn = (stdout: string, name = 'KAFKA_BROKERS'): string[] => parseBrokers(new RegExp(`^${name}=(.+)$`, 'm').exec(stdout)?.[1] ?? '');

/** The TLS/SASL listeners kafka-local.sh printed, if it printed them. */
function secureIn(stdout: string): KafkaSecureListeners | undefined {
  const tlsDir = /^KAFKA_TLS_DIR=(.+)$/m.exec(stdout)?.[1];
  const tlsBrokers = brokersIn(stdout, 'KAFKA_TLS_BROKERS');
  const saslBrokers = brokersIn(stdout, 'KAFKA_SASL_BROKERS');
  return tlsDir && tlsBrokers.length > 0 && saslBrokers.length > 0 ? { tlsBrokers, saslBrokers, tlsDir } : undefined;
}

/** Run dirs of earlier test runs that are stopped (no pid file) and more than an hour old. */
function pruneRunDirs(runsDir: string): void {
  if (!existsSync(runsDir)) return;
  for (const name of readdirSync(runsDir)) {
    const dir = join(runsDir, name);
    try {
      if (!existsSync(join(dir, 'pid')) && Date.now() - statSync(dir).mtimeMs > 3_600_000) rmSync(dir, { recursive: true, force: true });
    } catch {
      // another run pruning the same dir
    }
  }
}

async function viaLocalScript(): Promise<KafkaHandle> {
  if (!existsSync(KAFKA_LOCAL_SCRIPT)) throw new KafkaUnavailableError(`${KAFKA_LOCAL_SCRIPT} is missing`);

  // A broker started by hand (`infra/kafka/kafka-local.sh start`) is used as it is, and left running.
  const status = await runScript(['status'], 30_000, {}, false);
  if (status.code === 0 && brokersIn(status.stdout).length > 0) {
    log('using the broker started by hand with infra/kafka/kafka-local.sh start');
    const secure = secureIn(status.stdout);
    return { brokers: brokersIn(status.stdout), how: 'local-script', ...(secure ? { secure } : {}), stop: async () => {} };
  }

  // Otherwise this run starts its own broker, with its own state dir, so concurrent runs never share (or stop) one.
  const runsDir = join(env('AGENTWATCH_KAFKA_STATE_DIR') ?? join(REPO_ROOT, 'infra', 'kafka', '.run'), 'runs');
  pruneRunDirs(runsDir);
  const stateDir = join(runsDir, `${process.pid}-${Date.now().toString(36)}`);
  mkdirSync(stateDir, { recursive: true });
  const runEnv = {
    AGENTWATCH_KAFKA_STATE_DIR: stateDir,
    // The script's watchdog stops the broker when this process is gone, even if teardown never runs (kill -9, crash).
    AGENTWATCH_KAFKA_OWNER_PID: String(process.pid),
  };
  // The first run fetches ~47 MB of jars with mvn; later runs start from the cache in a few seconds.
  const timeoutMs = Number(env('AGENTWATCH_KAFKA_ACQUIRE_TIMEOUT_MS') ?? 600_000);
  const r = await runScript(['start'], timeoutMs, runEnv);
  const brokers = brokersIn(r.stdout);
  if (r.code !== 0 || brokers.length === 0) {
    const tail = r.stderr.trim().split('\n').slice(-15).join('\n');
    throw new KafkaUnavailableError(`infra/kafka/kafka-local.sh start failed (exit ${r.code}; logs in ${stateDir}/logs):\n${tail}`);
  }
  let stopped = false;
  const secure = secureIn(r.stdout);
  return {
    brokers,
    how: 'local-script',
    ...(secure ? { secure } : {}),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      const s = await runScript(['stop'], 60_000, runEnv, false);
      if (s.code !== 0) throw new Error(`infra/kafka/kafka-local.sh stop failed (exit ${s.code}): ${s.stderr.trim()}`);
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/**
 * A real Kafka broker: KAFKA_BROKERS, else Testcontainers (if Docker answers), else infra/kafka/kafka-local.sh.
 * Throws KafkaUnavailableError when none works; the message lists what was tried.
 */
export async function acquireKafka(): Promise<KafkaHandle> {
  const mode = env('AGENTWATCH_KAFKA_MODE') ?? 'auto';
  const fromEnv = env('KAFKA_BROKERS');
  if (mode === 'env' || (mode === 'auto' && fromEnv)) {
    if (!fromEnv) throw new KafkaUnavailableError('AGENTWATCH_KAFKA_MODE=env but KAFKA_BROKERS is not set');
    return { brokers: parseBrokers(fromEnv), how: 'env', stop: async () => {} };
  }

  const tried: string[] = [];
  if (mode === 'testcontainers' || mode === 'auto') {
    if (await dockerAnswers()) {
      try {
        return await viaTestcontainers();
      } catch (err) {
        tried.push(`testcontainers: ${(err as Error).message}`);
        if (mode === 'testcontainers') throw new KafkaUnavailableError(tried.join('\n'));
        log(`Testcontainers did not work, falling back to infra/kafka/kafka-local.sh (${(err as Error).message})`);
      }
    } else {
      tried.push('testcontainers: no Docker engine answered');
      if (mode === 'testcontainers') throw new KafkaUnavailableError(tried.join('\n'));
    }
  }
  if (mode === 'local-script' || mode === 'auto') {
    try {
      return await viaLocalScript();
    } catch (err) {
      tried.push(`local-script: ${(err as Error).message}`);
    }
  } else if (mode !== 'testcontainers') {
    tried.push(`unknown AGENTWATCH_KAFKA_MODE=${mode} (env|testcontainers|local-script|auto)`);
  }
  throw new KafkaUnavailableError(`no Kafka broker could be had:\n  ${tried.join('\n  ')}`);
}
