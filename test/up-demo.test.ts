import { spawn } from 'node:child_process';

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './support/temp-dir.ts';

const ROOT = join(import.meta.dirname, '..');

/** The quick start's promise: `agentwatch up --demo` shows alerts within a minute, and stops cleanly. */
describe('agentwatch up --demo', () => {
  it('prints high-severity alerts within 60 s and serves them over the API', async () => {
    const dir = tempDir('aw-demo-');
    const proc = spawn(process.execPath, [join(ROOT, 'bin/agentwatch.mjs'), 'up', '--demo', '--data', join(dir, 'data'), '--listen', '127.0.0.1:0'], {
      cwd: ROOT,
      env: { ...process.env, KAFKA_BROKERS: '', CLICKHOUSE_URL: '', AGENTWATCH_BOOTSTRAP_TOKEN: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    proc.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const t0 = performance.now();
    try {
      while (!/^(CRITICAL|HIGH) /m.test(out)) {
        if (performance.now() - t0 > 60_000) throw new Error(`no alert within 60 s\nstdout:\n${out}\nstderr:\n${err.slice(-2000)}`);
        if (proc.exitCode !== null) throw new Error(`up exited early (${proc.exitCode})\n${err.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
      const base = /listening on (\S+)/.exec(out)?.[1] as string;
      const token = /demo API token \(admin, this run only\): (\S+)/.exec(out)?.[1] as string;
      const res = await fetch(`${base}/v1/alerts?severity=high`, { headers: { Authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { alerts: Array<{ severity: string }> };
      expect(body.alerts.length).toBeGreaterThan(0);
      expect(body.alerts.every((a) => a.severity === 'high' || a.severity === 'critical')).toBe(true);
      // The quick start's promise: the console is at the printed address (built by npm ci), loaded without a token.
      expect(out).toContain(`console: ${base}/`);
      const page = await fetch(`${base}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      expect(await page.text()).toMatch(/<script[^>]+type="module"[^>]+src="\/assets\/[^"]+\.js"/);
    } finally {
      proc.kill('SIGTERM');
      const code = await new Promise<number | null>((done) => {
        if (proc.exitCode !== null) done(proc.exitCode);
        else proc.once('exit', (c) => done(c));
      });
      expect(code).toBe(0);
    }
  }, 120_000);
});
