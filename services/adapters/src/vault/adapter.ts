import { emptyResult, mergeInto, rejected, skipped } from '../common.ts';
import type { AdapterResult, RecordAdapter } from '../types.ts';
import { compilePathActions } from './actions.ts';
import { contentHash } from './content-hash.ts';
import { type AuditEntry, authString, readEntry } from './entry.ts';
import { type MapContext, mapEntry } from './map-entry.ts';
import { parseVaultOptions, type VaultOptionsInput } from './options.ts';
import { BoundedMap, TokenMemory } from './token-memory.ts';

const HELD = 'request entry: held until its response entry, which carries the outcome (mapped at flush if it never comes)';
const SKIP_REQUEST = 'request entry: mapped from its response entry, which carries the outcome';
/** Identical id-less requests in flight at once (the same `help` call repeated); beyond this the oldest is released. */
const MAX_SAME_KEY = 16;
const ALREADY_ANSWERED = 'request entry: its response entry was already mapped';

/**
 * Pairs a request entry with its response entry: `request.id`, or for entries without one (`help`) a
 * hash of the request object and the caller's token, which the response entry repeats verbatim.
 */
function pairKey(entry: AuditEntry): string {
  if (entry.request.id !== undefined) return `id:${entry.request.id}`;
  return `h:${contentHash({ request: entry.request.raw, accessor: authString(entry.auth, 'accessor'), token: authString(entry.auth, 'client_token') })}`;
}

/**
 * The Vault audit adapter (file/socket audit device, JSON lines). Response entries are mapped; request
 * entries only count as skipped, unless their response never arrives (see `unansweredRequests`).
 */
export function createVaultAdapter(input: VaultOptionsInput = {}): RecordAdapter {
  const options = parseVaultOptions(input);
  const ctx: MapContext = { options, pathActions: compilePathActions(options.pathActions), memory: new TokenMemory(options.tokenMemory) };
  /** Unanswered request entries, already mapped from the request alone, by pair key (a short FIFO per key). */
  const pending = new BoundedMap<string, AdapterResult[]>(options.maxPendingRequests);
  /** Request ids whose response was mapped, so a late request entry is not held (and later emitted) again. */
  const answered = new BoundedMap<string, true>(options.maxPendingRequests);

  const release = (queue: AdapterResult[], into: AdapterResult): void => {
    for (const r of queue) mergeInto(into, r);
  };

  /** Holds a request entry; whatever falls out of the bounded set is released into this record's result. */
  const hold = (key: string, entry: AuditEntry): AdapterResult => {
    const out = skipped(HELD);
    const queue = pending.get(key) ?? [];
    queue.push(mapEntry(entry, ctx));
    if (queue.length > MAX_SAME_KEY) release(queue.splice(0, queue.length - MAX_SAME_KEY), out);
    for (const [, evicted] of pending.set(key, queue)) release(evicted, out);
    return out;
  };

  const takePending = (key: string): void => {
    const queue = pending.get(key);
    if (!queue) return;
    queue.shift();
    if (queue.length === 0) pending.delete(key);
  };

  const mapRecord = (record: unknown): AdapterResult => {
    const read = readEntry(record);
    if (read.reject !== undefined) return rejected(read.reject);
    if (read.entry === undefined) return skipped(read.skip);
    const entry = read.entry;
    const key = pairKey(entry);
    if (entry.type === 'response') {
      takePending(key);
      if (entry.request.id !== undefined) answered.set(key, true);
      return mapEntry(entry, ctx);
    }
    if (options.unansweredRequests === 'skip') {
      // Still learn which accessor belongs to the caller's token.
      ctx.memory.link(authString(entry.auth, 'client_token') ?? entry.request.clientToken, authString(entry.auth, 'accessor'));
      return skipped(SKIP_REQUEST);
    }
    if (answered.has(key)) return skipped(ALREADY_ANSWERED);
    return hold(key, entry);
  };

  return {
    format: 'vault',
    map(record: unknown): AdapterResult {
      try {
        return mapRecord(record);
      } catch (e) {
        // Mapping is written not to throw; this keeps the contract even for a bug, and says so.
        return rejected(`record: could not be mapped (${e instanceof Error ? e.message : String(e)})`);
      }
    },
    flush(): AdapterResult {
      const out = emptyResult();
      for (const [, queue] of pending.drain()) release(queue, out);
      return out;
    },
  };
}
