/**
 * `npm run bench:hostile`: hostile request bodies against a real `agentwatch up` (a child process on a temp data dir,
 * embedded ClickHouse), one at a time, while a probe asks /healthz every 50 ms. Per body it prints: the status and
 * answer size, the largest event-loop delay in the server (its /metrics `nodejs_eventloop_lag_max_seconds`, reset by
 * each scrape), the worst /healthz latency the probe saw, and the server's RSS before, after (once settled) and at
 * peak (VmHWM, reset before each body). Valid bodies of the same sizes run first: the floor, measured in the same run.
 * Prints one JSON object; exits 0 whatever the numbers (timing is never a pass/fail test here; the hostile-bodies
 * test holds the 1 s /healthz bound). BENCH_HOSTILE_ONLY=name1,name2 runs a subset.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import { simulateFleet } from '@agentwatch/simulator';
import { agentRun, recordSpans, toJsonBytes, toProtobuf } from '../services/adapters/test/otlp-fixtures.ts';

const ROOT = join(import.meta.dirname, '..');
const TOKEN = 'aw_bench_hostile_0123456789abcdef';
const MiB = 1024 * 1024;
const LIMIT = 16 * MiB;
/** POST /v1/traces' default body limit (DEFAULT_TRACES_BODY_LIMIT). */
const TRACES_LIMIT = 2 * MiB;
const PROBE_MS = 50;

interface Body {
  name: string;
  path: '/v1/events' | '/v1/traces';
  contentType: string;
  encoding?: string;
  bytes: Buffer;
  /** A valid body (the floor), not a hostile one. */
  floor?: boolean;
}

/** Valid canonical events as NDJSON lines, from a simulated fleet (times within the fleet's days). */
async function validLines(dir: string): Promise<string[]> {
  await simulateFleet({ agents: 50, days: 8, seed: 7, outDir: dir });
  return readFileSync(join(dir, 'events.ndjson'), 'utf8').split('\n').filter(Boolean);
}

/** Lines up to `bytes`, each line once (no duplicate event ids within a body). */
function take(lines: string[], from: number, bytes: number): { text: string; next: number } {
  const out: string[] = [];
  let size = 0;
  let i = from;
  while (i < lines.length && size + (lines[i] as string).length + 1 <= bytes) {
    out.push(lines[i] as string);
    size += (lines[i] as string).length + 1;
    i++;
  }
  return { text: out.join('\n'), next: i };
}

/** Junk text lines of 1 to 60 characters (deterministic), the shape of the finding's body. */
function junkLines(bytes: number): Buffer {
  const parts: string[] = [];
  let size = 0;
  let n = 1;
  while (size < bytes) {
    n = (n * 1103515245 + 12345) % 2 ** 31;
    const line = `junk${'x'.repeat(n % 56)}`;
    parts.push(line);
    size += line.length + 1;
  }
  return Buffer.from(parts.join('\n').slice(0, bytes));
}

/** A gzip body that inflates to `inflated` bytes of `fill`, made in 1 MiB steps (never held inflated). */
async function gzipBomb(inflated: number, fill: number): Promise<Buffer> {
  const gz = createGzip({ level: 9 });
  const out: Buffer[] = [];
  gz.on('data', (d: Buffer) => out.push(d));
  const done = new Promise((r) => gz.on('end', r));
  const block = Buffer.alloc(MiB, fill);
  for (let i = 0; i < inflated / MiB; i++) if (!gz.write(block)) await new Promise((r) => gz.once('drain', r));
  gz.end();
  await done;
  return Buffer.concat(out);
}

function otlpSpans(calls: number): ReturnType<typeof recordSpans> {
  return recordSpans({ 'service.name': 'bench-agents' }, (tracer) =>
    agentRun(
      tracer,
      { 'gen_ai.agent.name': 'bench-bot', 'gen_ai.conversation.id': 'conv_bench' },
      Array.from({ length: calls }, (_, i) => ({ tool: `tool.${i % 50}`, at: i, ms: 1, attributes: { 'bench.pad': 'p'.repeat(40) } })),
    ),
  );
}

/** An OTLP body of about `bytes`, from the SDK's serializer (spans repeated until the size is reached). */
function otlpBody(kind: 'json' | 'protobuf', bytes: number): Buffer {
  const probe = kind === 'json' ? toJsonBytes(otlpSpans(100)) : toProtobuf(otlpSpans(100));
  const calls = Math.floor((100 * bytes) / probe.length);
  const body = Buffer.from(kind === 'json' ? toJsonBytes(otlpSpans(calls)) : toProtobuf(otlpSpans(calls)));
  return body;
}

async function bodies(lines: string[]): Promise<Body[]> {
  const out: Body[] = [];
  const nd = 'application/x-ndjson';
  let at = 0;
  for (const mb of [2, 16]) {
    const t = take(lines, at, mb * MiB - 1024);
    at = t.next;
    out.push({ name: `floor: valid NDJSON ${mb} MiB`, path: '/v1/events', contentType: nd, bytes: Buffer.from(t.text), floor: true });
  }
  {
    const t = take(lines, at, 16 * MiB - 1024);
    at = t.next;
    const arr = `[${t.text.split('\n').join(',')}]`;
    out.push({ name: 'floor: valid JSON array 16 MiB', path: '/v1/events', contentType: 'application/json', bytes: Buffer.from(arr), floor: true });
  }
  out.push({
    name: 'floor: OTLP protobuf 2 MiB',
    path: '/v1/traces',
    contentType: 'application/x-protobuf',
    bytes: otlpBody('protobuf', TRACES_LIMIT - 64 * 1024),
    floor: true,
  });
  out.push({
    name: 'floor: OTLP JSON 2 MiB',
    path: '/v1/traces',
    contentType: 'application/json',
    bytes: otlpBody('json', TRACES_LIMIT - 64 * 1024),
    floor: true,
  });

  for (const mb of [2, 8, 16]) {
    out.push({ name: `junk NDJSON lines ${mb} MiB`, path: '/v1/events', contentType: nd, bytes: junkLines(mb * MiB - 16) });
  }
  out.push({ name: 'NDJSON one-byte lines 16 MiB', path: '/v1/events', contentType: nd, bytes: Buffer.from('x\n'.repeat(8 * MiB - 8)) });
  {
    const t = take(lines, at, 64 * 1024);
    at = t.next;
    const [a, b] = t.text.split('\n');
    const big = JSON.parse(a as string) as Record<string, unknown>;
    big['attributes'] = { note: 'A'.repeat(10_000_000) };
    out.push({
      name: 'JSON array with a 10 MB field',
      path: '/v1/events',
      contentType: 'application/json',
      bytes: Buffer.from(`[${JSON.stringify(big)},${b}]`),
    });
  }
  out.push({
    name: 'JSON array of 100k tiny invalid elements',
    path: '/v1/events',
    contentType: 'application/json',
    bytes: Buffer.from(`[${'{},'.repeat(99_999)}{}]`),
  });
  out.push({
    name: 'JSON array of 1M tiny invalid elements',
    path: '/v1/events',
    contentType: 'application/json',
    bytes: Buffer.from(`[${'1,'.repeat(999_999)}1]`),
  });
  out.push({
    name: 'deeply nested JSON array (4M levels)',
    path: '/v1/events',
    contentType: 'application/json',
    bytes: Buffer.from(`${'['.repeat(4 * MiB)}${']'.repeat(4 * MiB)}`),
  });
  out.push({
    name: 'deeply nested NDJSON line (100k levels)',
    path: '/v1/events',
    contentType: nd,
    bytes: Buffer.from(`${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`),
  });
  out.push({
    name: 'JSON string of 16 MiB (not an array)',
    path: '/v1/events',
    contentType: 'application/json',
    bytes: Buffer.from(`"${'s'.repeat(LIMIT - 16)}"`),
  });
  out.push({
    name: 'JSON array with an unclosed string',
    path: '/v1/events',
    contentType: 'application/json',
    bytes: Buffer.from(`[{"a":"${'s'.repeat(LIMIT - 16)}`),
  });
  out.push({
    name: 'gzip bomb to /v1/events (1 GiB inflated)',
    path: '/v1/events',
    contentType: nd,
    encoding: 'gzip',
    bytes: await gzipBomb(1024 * MiB, 0x20),
  });
  out.push({
    name: 'gzip bomb to /v1/traces (1 GiB inflated)',
    path: '/v1/traces',
    contentType: 'application/x-protobuf',
    encoding: 'gzip',
    bytes: await gzipBomb(1024 * MiB, 0),
  });
  out.push({ name: 'OTLP JSON 2 MiB of junk', path: '/v1/traces', contentType: 'application/json', bytes: junkLines(TRACES_LIMIT - 16) });
  out.push({ name: 'OTLP protobuf 2 MiB of junk', path: '/v1/traces', contentType: 'application/x-protobuf', bytes: junkLines(TRACES_LIMIT - 16) });
  out.push({ name: 'OTLP protobuf 16 MiB (over the limit)', path: '/v1/traces', contentType: 'application/x-protobuf', bytes: junkLines(LIMIT - 16) });
  {
    const spans = JSON.parse(Buffer.from(toJsonBytes(otlpSpans(3))).toString()) as {
      resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ attributes: unknown[] }> }> }>;
    };
    spans.resourceSpans[0]?.scopeSpans[0]?.spans[1]?.attributes.push({ key: 'huge', value: { stringValue: 'H'.repeat(10_000_000) } });
    out.push({ name: 'OTLP JSON with a 10 MB attribute', path: '/v1/traces', contentType: 'application/json', bytes: Buffer.from(JSON.stringify(spans)) });
  }
  const only = process.env['BENCH_HOSTILE_ONLY']?.split(',');
  return only ? out.filter((b) => only.some((o) => b.name.includes(o))) : out;
}

function procStatus(pid: number): { rssMiB: number; peakMiB: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? 0);
  return { rssMiB: Math.round(kb('VmRSS') / 1024), peakMiB: Math.round(kb('VmHWM') / 1024) };
}

/** Resets the kernel's peak-RSS mark of the process (Linux: clear_refs 5), so VmHWM is the peak of what follows. */
function resetPeak(pid: number): void {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // Not permitted here: the peak is then the process's lifetime peak.
  }
}

async function lagMaxMs(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
  return Math.round(Number(/^nodejs_eventloop_lag_max_seconds (\S+)/m.exec(text)?.[1] ?? 0) * 1000);
}

/** Asks /healthz every PROBE_MS until stopped; returns the worst latency seen (a request in flight counts when stopped). */
function probe(base: string): { stop: () => Promise<{ worstMs: number; probes: number; failed: number }> } {
  let running = true;
  let worst = 0;
  let probes = 0;
  let failed = 0;
  let inFlight: number | null = null;
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      inFlight = t0;
      try {
        const r = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(120_000) });
        await r.text();
        if (r.status !== 200) failed++;
      } catch {
        failed++;
      }
      inFlight = null;
      const ms = performance.now() - t0;
      worst = Math.max(worst, ms);
      probes++;
      await new Promise((r) => setTimeout(r, Math.max(0, PROBE_MS - ms)));
    }
  })();
  return {
    async stop() {
      running = false;
      if (inFlight !== null) worst = Math.max(worst, performance.now() - inFlight);
      await loop;
      return { worstMs: Math.round(worst), probes, failed };
    },
  };
}

async function send(base: string, b: Body): Promise<{ status: number; answerBytes: number; ms: number; answer: string }> {
  const t0 = performance.now();
  try {
    const r = await fetch(`${base}${b.path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': b.contentType, ...(b.encoding ? { 'content-encoding': b.encoding } : {}) },
      body: b.bytes,
      signal: AbortSignal.timeout(300_000),
    });
    const answer = Buffer.from(await r.arrayBuffer());
    return { status: r.status, answerBytes: answer.length, ms: Math.round(performance.now() - t0), answer: answer.subarray(0, 200).toString('utf8') };
  } catch (e) {
    return { status: 0, answerBytes: 0, ms: Math.round(performance.now() - t0), answer: `request failed: ${(e as Error).message}` };
  }
}

async function startUp(dir: string): Promise<{ proc: ChildProcess; base: string }> {
  const proc = spawn(
    process.execPath,
    [join(ROOT, 'bin/agentwatch.mjs'), 'up', '--registry', join(dir, 'fleet', 'registry.yaml'), '--data', join(dir, 'data'), '--listen', '127.0.0.1:0'],
    { cwd: ROOT, env: { ...process.env, AGENTWATCH_BOOTSTRAP_TOKEN: TOKEN, KAFKA_BROKERS: '', CLICKHOUSE_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  proc.stderr?.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-4000);
  });
  const base = await new Promise<string>((resolve, reject) => {
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    proc.once('exit', (code) => reject(new Error(`agentwatch up exited (${code}) before listening\n${err}`)));
  });
  return { proc, base };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'aw-hostile-bench-'));
  try {
    const lines = await validLines(join(dir, 'fleet'));
    const list = await bodies(lines);
    const { proc, base } = await startUp(dir);
    const pid = proc.pid as number;
    const results: unknown[] = [];
    try {
      await new Promise((r) => setTimeout(r, 2000));
      const startRss = procStatus(pid).rssMiB;
      for (const b of list) {
        process.stderr.write(`bench:hostile ${b.name} (${b.bytes.length} bytes)\n`);
        await new Promise((r) => setTimeout(r, 500));
        const before = procStatus(pid).rssMiB;
        await lagMaxMs(base);
        resetPeak(pid);
        const p = probe(base);
        const res = await send(base, b);
        const health = await p.stop();
        const lag = await lagMaxMs(base);
        const peak = procStatus(pid).peakMiB;
        await new Promise((r) => setTimeout(r, 3000));
        results.push({
          body: b.name,
          floor: b.floor === true,
          route: b.path,
          body_bytes: b.bytes.length,
          status: res.status,
          answer_bytes: res.answerBytes,
          answer_start: res.answer.slice(0, 120),
          request_ms: res.ms,
          event_loop_max_delay_ms: lag,
          healthz_worst_ms: health.worstMs,
          healthz_probes: health.probes,
          healthz_failed: health.failed,
          rss_mib: { before, peak, after: procStatus(pid).rssMiB },
        });
      }
      const end = procStatus(pid).rssMiB;
      process.stdout.write(
        `${JSON.stringify({ server: 'agentwatch up (embedded ClickHouse)', probe_every_ms: PROBE_MS, rss_mib_at_start: startRss, rss_mib_at_end: end, results }, null, 2)}\n`,
      );
    } finally {
      proc.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 1500));
      if (proc.exitCode === null) proc.kill('SIGKILL');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
