import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Alert, CanonicalEvent } from '@agentwatch/schemas';
import type { Origin } from '../formats/delivery.ts';
import { alertToOcsf, incidentToOcsf } from '../formats/ocsf.ts';
import { postLines } from './batch-split.ts';
import { errorText, HttpPoster, replyError } from './http-post.ts';
import { DeliveryError, type ExportItem, type IncidentItem, type Transport, type TransportTls } from './transport.ts';

/** How much of the file's end alreadyDelivered reads: far more than one outbox batch of findings. */
export const DEFAULT_TAIL_BYTES = 4 * 1024 * 1024;
/** Step of the backwards scan for the last newline when the file ends in a torn line. */
const SCAN_CHUNK = 64 * 1024;
const NL = 0x0a;

/** The stored events an alert cites, for the findings' evidences (the outbox reads them from the store). */
export type EventsOf = (alert: Alert) => Promise<readonly CanonicalEvent[]> | readonly CanonicalEvent[];

export interface OcsfFileTransportOptions {
  /** The NDJSON file, created (with its directory) when missing, appended to otherwise. */
  path: string;
  origin: Origin;
  eventsOf?: EventsOf;
  tailBytes?: number;
}

export interface OcsfHttpTransportOptions {
  url: string;
  /** Extra request headers (an API key for the lake's endpoint); their values never appear in errors. */
  headers?: Record<string, string>;
  origin: Origin;
  eventsOf?: EventsOf;
  tls?: TransportTls;
  timeoutMs?: number;
  maxBodyBytes?: number;
}

/** One finding per item, as NDJSON lines (each ending in a newline). */
async function findingLines(items: readonly ExportItem[], origin: Origin, eventsOf?: EventsOf): Promise<string[]> {
  const out: string[] = [];
  for (const { alert, delivery } of items) {
    let events: readonly CanonicalEvent[] | undefined;
    try {
      events = eventsOf ? await eventsOf(alert) : undefined;
    } catch (e) {
      // The store did not answer: nothing was sent, the outbox tries again later.
      throw new DeliveryError(`reading the events alert ${alert.alert_id} cites: ${(e as Error).message ?? String(e)}`, { permanent: false });
    }
    out.push(`${JSON.stringify(alertToOcsf(alert, delivery, origin, events))}\n`);
  }
  return out;
}

/** One finding per incident version, as NDJSON lines. */
const incidentLines = (items: readonly IncidentItem[], origin: Origin): string[] =>
  items.map(({ incident, delivery }) => `${JSON.stringify(incidentToOcsf(incident, delivery, origin))}\n`);

/**
 * Cuts a torn last line (a crash mid-append) so the next append starts on a line of its own; returns the file's
 * length after the cut. Scans back from the end for the last newline; a file without one is emptied.
 */
export async function truncateTornTail(fh: FileHandle): Promise<number> {
  const { size } = await fh.stat();
  if (size === 0) return 0;
  const last = Buffer.alloc(1);
  await fh.read(last, 0, 1, size - 1);
  if (last[0] === NL) return size;
  let end = size;
  let keep = 0;
  const buf = Buffer.alloc(SCAN_CHUNK);
  while (end > 0) {
    const start = Math.max(0, end - SCAN_CHUNK);
    const { bytesRead } = await fh.read(buf, 0, end - start, start);
    const i = buf.subarray(0, bytesRead).lastIndexOf(NL);
    if (i >= 0) {
      keep = start + i + 1;
      break;
    }
    end = start;
  }
  await fh.truncate(keep);
  await fh.sync();
  return keep;
}

/** Delivery ids (metadata.uid) of the complete findings in the last `tailBytes` of a file; unreadable lines skipped. */
export async function deliveryIdsInTail(fh: FileHandle, size: number, tailBytes: number): Promise<Set<string>> {
  const start = Math.max(0, size - tailBytes);
  const buf = Buffer.alloc(size - start);
  const { bytesRead } = await fh.read(buf, 0, buf.length, start);
  const lines = buf.subarray(0, bytesRead).toString('utf8').split('\n');
  // The first piece is a line cut by the window unless the window starts the file; the last is after the final newline.
  const whole = lines.slice(start > 0 ? 1 : 0, -1);
  const ids = new Set<string>();
  for (const line of whole) {
    try {
      const uid = (JSON.parse(line) as { metadata?: { uid?: unknown } }).metadata?.uid;
      if (typeof uid === 'string') ids.add(uid);
    } catch {
      // Not a finding this transport wrote (or damaged): it names no delivery.
    }
  }
  return ids;
}

/**
 * OCSF findings appended as NDJSON to a file, fsynced before send resolves. After a crash, alreadyDelivered reads the
 * file's tail for the delivery ids it holds (a crash between the fsync and the outbox's cursor must not repeat a line)
 * and a torn last line is cut before the next append. A file rotated away (renamed or deleted) is followed: the next
 * send opens the path anew.
 */
export function createOcsfFileTransport(opts: OcsfFileTransportOptions): Transport {
  const tailBytes = opts.tailBytes ?? DEFAULT_TAIL_BYTES;
  let fh: FileHandle | null = null;
  /** Sends and reads one at a time: an append and a tail read must not interleave. */
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(f: () => Promise<T>): Promise<T> => {
    const run = queue.then(f, f);
    queue = run.catch(() => {});
    return run;
  };

  async function handle(): Promise<FileHandle> {
    if (fh && (await sameFile(fh, opts.path))) return fh;
    await fh?.close().catch(() => {});
    fh = null;
    await mkdir(dirname(opts.path), { recursive: true });
    const h = await open(opts.path, 'a+');
    try {
      await truncateTornTail(h);
      // The file may be new: its directory entry must survive a crash too.
      await syncDir(dirname(opts.path));
    } catch (e) {
      await h.close().catch(() => {});
      throw e;
    }
    fh = h;
    return h;
  }

  async function append(lines: readonly string[]): Promise<void> {
    let h: FileHandle;
    try {
      h = await handle();
    } catch (e) {
      throw fileError(e, opts.path, 0);
    }
    const buf = Buffer.from(lines.join(''));
    let base = -1;
    try {
      // Where this append starts (read, not tracked: another writer may have appended since).
      base = (await h.stat()).size;
      let off = 0;
      while (off < buf.length) off += (await h.write(buf, off, buf.length - off)).bytesWritten;
      await h.sync();
    } catch (e) {
      // A partial append (disk full): keep the whole lines that made it, cut the rest, and say how many made it.
      let delivered = 0;
      try {
        const kept = await truncateTornTail(h);
        await h.sync();
        let end = base;
        for (const line of lines) {
          end += Buffer.byteLength(line);
          if (base < 0 || end > kept) break;
          delivered++;
        }
      } catch {
        await h.close().catch(() => {});
        fh = null;
      }
      throw fileError(e, opts.path, delivered);
    }
  }

  return {
    async send(items: readonly ExportItem[]): Promise<void> {
      const lines = await findingLines(items, opts.origin, opts.eventsOf);
      await serial(() => append(lines));
    },
    async sendIncidents(items: readonly IncidentItem[]): Promise<void> {
      const lines = incidentLines(items, opts.origin);
      await serial(() => append(lines));
    },
    alreadyDelivered: () =>
      serial(async () => {
        const h = await handle();
        return deliveryIdsInTail(h, (await h.stat()).size, tailBytes);
      }),
    close: () =>
      serial(async () => {
        await fh?.close();
        fh = null;
      }),
  };
}

/** fsync of a directory, so a file just created in it is still there after a crash. */
async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

/** Whether the open handle is still the file at `path` (not rotated away or deleted). */
async function sameFile(fh: FileHandle, path: string): Promise<boolean> {
  try {
    const [a, b] = await Promise.all([fh.stat(), stat(path)]);
    return a.ino === b.ino && a.dev === b.dev;
  } catch {
    return false;
  }
}

/** A file error is transient (disk full, permissions, a missing mount are fixed by an operator, then retried). */
function fileError(e: unknown, path: string, delivered: number): DeliveryError {
  return new DeliveryError(`${path}: ${errorText(e)}`, { permanent: false, delivered });
}

/** OCSF findings POSTed as NDJSON (`application/x-ndjson`), split into requests under the body cap. */
export function createOcsfHttpTransport(opts: OcsfHttpTransportOptions): Transport {
  const poster = new HttpPoster({
    url: opts.url,
    ...(opts.tls ? { tls: opts.tls } : {}),
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.maxBodyBytes !== undefined ? { maxBodyBytes: opts.maxBodyBytes } : {}),
  });
  const headers = { ...opts.headers, 'Content-Type': 'application/x-ndjson' };
  return {
    async send(items: readonly ExportItem[]): Promise<void> {
      const lines = await findingLines(items, opts.origin, opts.eventsOf);
      await postLines(poster, lines, headers, (reply) => replyError(reply, poster.where), '');
    },
    async sendIncidents(items: readonly IncidentItem[]): Promise<void> {
      await postLines(poster, incidentLines(items, opts.origin), headers, (reply) => replyError(reply, poster.where), '');
    },
    close: () => poster.close(),
  };
}
