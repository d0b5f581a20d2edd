import { execFileSync } from 'node:child_process';
import { appendFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/temp-dir.ts';
import { alertToOcsf } from '../src/formats/ocsf.ts';
import { createOcsfFileTransport, createOcsfHttpTransport } from '../src/transports/ocsf.ts';
import { DeliveryError, type ExportItem, type Transport } from '../src/transports/transport.ts';
import { baseAlert, delivery, edgeAlerts, ORIGIN } from './fixtures.ts';
import { type Receiver, startReceiver } from './http-receiver.ts';
import { ocsfValidator } from './ocsf-validator.ts';

let check: (finding: unknown) => string[];
beforeAll(() => {
  check = ocsfValidator();
}, 300_000);

const open: Array<Transport | Receiver> = [];
afterEach(async () => {
  for (const o of open.splice(0)) await ('stop' in o ? o.stop() : o.close());
});
function fileTransport(path: string, tailBytes?: number): Transport {
  const t = createOcsfFileTransport({ path, origin: ORIGIN, ...(tailBytes ? { tailBytes } : {}) });
  open.push(t);
  return t;
}
const items = (n: number, from = 0): ExportItem[] =>
  Array.from({ length: n }, (_, i) => ({ alert: baseAlert({ alert_id: `alert-${from + i}` }), delivery: delivery({ version: 1 + ((from + i) % 3) }) }));
const uids = (text: string): string[] =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { metadata: { uid: string } }).metadata.uid);

describe('OCSF file transport', () => {
  it('appends one valid Detection Finding per line, in order, and creates the directory', async () => {
    const path = join(tempDir('aw-ocsf-file-'), 'sub', 'findings.ndjson');
    const batch: ExportItem[] = edgeAlerts().map((alert, i) => ({
      alert,
      delivery: delivery({ version: 1 + (i % 3), activity: i % 3 === 0 ? 'created' : 'updated' }),
    }));
    const t = fileTransport(path);
    await t.send(batch.slice(0, 10));
    await t.send(batch.slice(10));
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(batch.length);
    for (const l of lines) expect(check(JSON.parse(l))).toEqual([]);
    expect(uids(lines.join('\n'))).toEqual(batch.map((b) => `${b.alert.alert_id}:${b.delivery.version}`));
  });

  it('after a crash mid-write: the torn line is cut, alreadyDelivered names the complete ones, nothing repeats', async () => {
    const path = join(tempDir('aw-ocsf-crash-'), 'findings.ndjson');
    const first = fileTransport(path);
    await first.send(items(3));
    // The crash: half of the next finding reached the file, no newline.
    const next = JSON.stringify(alertToOcsf(items(1, 3)[0]!.alert, items(1, 3)[0]!.delivery, ORIGIN));
    appendFileSync(path, next.slice(0, next.length / 2));
    const reopened = fileTransport(path);
    const held = await reopened.alreadyDelivered?.();
    expect([...(held ?? [])].sort()).toEqual(['alert-0:1', 'alert-1:2', 'alert-2:3']);
    // The outbox skips what is held and sends from alert-3.
    await reopened.send(items(2, 3));
    const text = readFileSync(path, 'utf8');
    expect(uids(text)).toEqual(['alert-0:1', 'alert-1:2', 'alert-2:3', 'alert-3:1', 'alert-4:2']);
    for (const l of text.split('\n').filter(Boolean)) expect(check(JSON.parse(l))).toEqual([]);
  });

  it('a file holding only a torn line is emptied before the first append; a missing file holds nothing', async () => {
    const dir = tempDir('aw-ocsf-torn-');
    expect((await fileTransport(join(dir, 'none.ndjson')).alreadyDelivered?.())?.size).toBe(0);
    const path = join(dir, 'findings.ndjson');
    writeFileSync(path, '{"metadata":{"uid":"torn:1"'.repeat(5000));
    const t = fileTransport(path);
    expect((await t.alreadyDelivered?.())?.size).toBe(0);
    await t.send(items(1));
    expect(uids(readFileSync(path, 'utf8'))).toEqual(['alert-0:1']);
  });

  it('reads only a bounded tail: ids of whole lines within it, skipping the line the window cuts and foreign lines', async () => {
    const path = join(tempDir('aw-ocsf-tail-'), 'findings.ndjson');
    await fileTransport(path).send(items(20));
    const foreign = 'not json\n{"other":true}\n';
    appendFileSync(path, foreign);
    const lineBytes = Buffer.byteLength(readFileSync(path, 'utf8').split('\n')[0] ?? '') + 1;
    const held = await fileTransport(path, foreign.length + Math.floor(lineBytes * 2.5)).alreadyDelivered?.();
    // The window holds the two foreign lines, two whole findings and half of a third, which is skipped.
    expect([...(held ?? [])]).toEqual(['alert-18:1', 'alert-19:2']);
  });

  it('a disk that fills mid-append: whole lines kept and counted, the torn rest cut, the retry completes the file', () => {
    const path = join(tempDir('aw-ocsf-full-'), 'findings.ndjson');
    const script = fileURLToPath(new URL('./ocsf-file-append.ts', import.meta.url));
    // RLIMIT_FSIZE (KiB): writes past 40 KiB fail with EFBIG, the way a full disk fails them with ENOSPC.
    const run = (limit: string) =>
      JSON.parse(
        execFileSync('bash', ['-c', `ulimit -f ${limit}; exec "$0" --import tsx "$1" "$2" 40`, process.execPath, script, path], { encoding: 'utf8' }).trim(),
      ) as { held: number; sent: number; error: { message: string; delivered: number; permanent: boolean } | null };
    const full = run('40');
    expect(full.error).toMatchObject({ permanent: false });
    expect(full.error?.message).toMatch(/EFBIG/);
    const text = readFileSync(path, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(uids(text)).toHaveLength(full.error?.delivered ?? -1);
    expect(full.error?.delivered).toBeGreaterThan(0);
    expect(full.error?.delivered).toBeLessThan(40);
    // Space again: the rest is appended, nothing repeated.
    const after = run('unlimited');
    expect(after).toMatchObject({ held: full.error?.delivered, sent: 40 - (full.error?.delivered ?? 0), error: null });
    expect(uids(readFileSync(path, 'utf8'))).toEqual(Array.from({ length: 40 }, (_, i) => `fill-${i}:1`));
  });

  it('follows a rotated file: the next send writes to a new file at the path', async () => {
    const dir = tempDir('aw-ocsf-rotate-');
    const path = join(dir, 'findings.ndjson');
    const t = fileTransport(path);
    await t.send(items(2));
    renameSync(path, `${path}.1`);
    await t.send(items(1, 2));
    expect(uids(readFileSync(`${path}.1`, 'utf8'))).toEqual(['alert-0:1', 'alert-1:2']);
    expect(uids(readFileSync(path, 'utf8'))).toEqual(['alert-2:3']);
  });

  it('puts the cited events into evidences; a failing event lookup is transient and writes nothing', async () => {
    const path = join(tempDir('aw-ocsf-events-'), 'findings.ndjson');
    const failing = createOcsfFileTransport({
      path,
      origin: ORIGIN,
      eventsOf: () => {
        throw new Error('store unavailable');
      },
    });
    open.push(failing);
    const e = (await failing.send(items(1)).catch((err: unknown) => err)) as DeliveryError;
    expect(e).toBeInstanceOf(DeliveryError);
    expect(e).toMatchObject({ permanent: false, delivered: 0 });
    expect(e.message).toContain('store unavailable');
  });
});

describe('OCSF HTTP transport on a loopback receiver', () => {
  it('POSTs the batch as NDJSON with the configured headers; each line is a valid finding', async () => {
    const r = await startReceiver({ reply: () => ({ status: 200 }) });
    open.push(r);
    const t = createOcsfHttpTransport({ url: r.url('/ingest/ocsf'), headers: { 'X-Api-Key': 'lake-key' }, origin: ORIGIN });
    open.push(t);
    await t.send(items(4));
    expect(r.requests).toHaveLength(1);
    const [req] = r.requests;
    expect(req).toMatchObject({ method: 'POST', path: '/ingest/ocsf' });
    expect(req?.headers['content-type']).toBe('application/x-ndjson');
    expect(req?.headers['x-api-key']).toBe('lake-key');
    expect(req?.body.endsWith('\n')).toBe(true);
    for (const l of req?.body.split('\n').filter(Boolean) ?? []) expect(check(JSON.parse(l))).toEqual([]);
    expect(uids(req?.body ?? '')).toEqual(['alert-0:1', 'alert-1:2', 'alert-2:3', 'alert-3:1']);
  });

  it('400 is permanent, 503 transient, and the header values stay out of the error', async () => {
    const r = await startReceiver({ reply: (_, n) => (n === 1 ? { status: 503 } : { status: 400, body: 'bad finding' }) });
    open.push(r);
    const t = createOcsfHttpTransport({ url: r.url('/ingest/ocsf'), headers: { Authorization: 'Bearer lake-secret' }, origin: ORIGIN });
    open.push(t);
    await expect(t.send(items(1))).rejects.toMatchObject({ permanent: false });
    const e = (await t.send(items(1)).catch((err: unknown) => err)) as DeliveryError;
    expect(e).toMatchObject({ permanent: true, delivered: 0 });
    expect(e.message).toContain('bad finding');
    expect(e.message).not.toContain('lake-secret');
  });
});
