import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { ClickHouseClient } from '@clickhouse/client';

/**
 * TEST-ONLY store fault injection, used by the fault soak (test/soak). Enabled only when the environment variable
 * {@link STORE_FAULTS_ENV} names a control file; without it nothing is wrapped and nothing is read.
 *
 * Why a decorator around the ClickHouse client rather than a real outage: the default store is embedded ClickHouse
 * (chdb) inside the collector's own process, so it cannot be stopped or cut off apart from that process. Wrapping the
 * one client that every store query goes through makes the pipeline see exactly what a failing server would give it
 * (a rejected INSERT, a refused connection), while everything above the client runs unchanged.
 *
 * The control file is read on every call (a few bytes; the soak rewrites it while the collector runs). Its first word:
 * - `fail-writes`: every INSERT (client.insert, or an exec/command of an INSERT) throws before writing anything.
 * - `lose-acks`: every INSERT is written, then throws (the answer is lost: the caller must not store it twice on retry).
 * - `unreachable`: every call (query, command, exec, insert) throws like a refused connection.
 * - anything else, or no file: calls go through.
 */
export const STORE_FAULTS_ENV = 'AGENTWATCH_TEST_STORE_FAULTS';

export type StoreFaultMode = 'fail-writes' | 'lose-acks' | 'unreachable' | 'none';

/** The mode a control file's text asks for. */
export function parseStoreFaultMode(text: string): StoreFaultMode {
  const word = text.trim().split(/\s+/)[0] ?? '';
  return word === 'fail-writes' || word === 'lose-acks' || word === 'unreachable' ? word : 'none';
}

/** Counts of the faults a wrapped client injected (for the log at shutdown). */
export interface StoreFaultCounts {
  failedWrites: number;
  lostAcks: number;
  refusedCalls: number;
}

/** An error shaped like the one a refused TCP connection gives @clickhouse/client. */
function refused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123 (injected by AGENTWATCH_TEST_STORE_FAULTS)'), { code: 'ECONNREFUSED' });
}

/**
 * Wraps `client` so that each call first consults `mode()` (see the module comment). Methods other than insert,
 * query, command and exec (close, ping ...) pass through.
 */
export function withStoreFaults(client: ClickHouseClient, mode: () => StoreFaultMode, counts: StoreFaultCounts): ClickHouseClient {
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const fn = value as (...args: unknown[]) => Promise<unknown>;
      if (prop !== 'insert' && prop !== 'query' && prop !== 'command' && prop !== 'exec') return fn.bind(target);
      return async (...args: unknown[]) => {
        const m = mode();
        if (m === 'unreachable') {
          counts.refusedCalls++;
          throw refused();
        }
        if (!isWrite(prop, args[0]) || m === 'none') return fn.apply(target, args);
        if (m === 'fail-writes') {
          counts.failedWrites++;
          throw new Error('INSERT refused (injected by AGENTWATCH_TEST_STORE_FAULTS)');
        }
        const result = await fn.apply(target, args);
        // The write is done (its answer read to the end, as the caller would); only its answer is lost.
        const stream = (result as { stream?: Readable } | undefined)?.stream;
        if (stream) {
          stream.resume();
          await finished(stream);
        }
        counts.lostAcks++;
        throw new Error('INSERT written but its answer lost (injected by AGENTWATCH_TEST_STORE_FAULTS)');
      };
    },
  });
}

/** An INSERT: client.insert, or an exec/command whose SQL is an INSERT (the store sends pre-rendered rows with exec). */
function isWrite(method: string | symbol, params: unknown): boolean {
  if (method === 'insert') return true;
  const query = (params as { query?: unknown } | undefined)?.query;
  return (method === 'exec' || method === 'command') && typeof query === 'string' && /^\s*INSERT\b/i.test(query);
}

/**
 * `wrapClient` for createStore when {@link STORE_FAULTS_ENV} is set in `env`, else undefined (no wrapping). The
 * control file may be missing (no fault) and is re-read on every call.
 */
export function storeFaultsFromEnv(
  env: NodeJS.ProcessEnv,
): { controlFile: string; counts: StoreFaultCounts; wrapClient: (c: ClickHouseClient) => ClickHouseClient } | undefined {
  const controlFile = env[STORE_FAULTS_ENV];
  if (!controlFile) return undefined;
  const counts: StoreFaultCounts = { failedWrites: 0, lostAcks: 0, refusedCalls: 0 };
  const mode = (): StoreFaultMode => {
    try {
      return parseStoreFaultMode(readFileSync(controlFile, 'utf8'));
    } catch {
      return 'none';
    }
  };
  return { controlFile, counts, wrapClient: (c) => withStoreFaults(c, mode, counts) };
}
