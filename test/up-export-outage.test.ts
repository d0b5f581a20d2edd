// SIEM export through `agentwatch up` across receiver outages and a SIGKILL (issue 16, exporters.md): a simulated
// fleet's events go in over HTTP in three parts; analysts change statuses; the HEC and webhook receivers and rsyslog
// (syslog over RELP, the acknowledged syslog transport) are stopped mid-stream, `up` is SIGKILLed while alert
// versions are pending, then everything is started again. At the end every exporter's receiver holds, per alert, versions 1..n without a gap, the last one matching the alert as
// stored (count, status, severity): each alert version arrived, and exactly once once repeats are dropped by
// `<alert_id>:<version>` (the at-least-once window of a crash is counted and reported, and stays within one batch).

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyWebhook } from '@agentwatch/exporters';
import type { Alert } from '@agentwatch/schemas';
import { simulateFleet } from '@agentwatch/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCef } from '../services/exporters/test/cef-parser.ts';
import { recentStart } from './support/recent-start.ts';
import { type Rsyslog, startRsyslog } from './support/rsyslog.ts';
import { killAll, postEvents, spawnUp, type UpProcess, waitFor } from './support/up-process.ts';

const TOKEN = 'aw_test_bootstrap_token_export_outage_01';
const auth = { Authorization: `Bearer ${TOKEN}` };
const HEC_TOKEN = 'hec-token-5b1f0c8e-outage';
const HOOK_SECRET = 'webhook-secret-outage-test-0123456789';
/** Alert versions per send: the most a crash between a send and its cursor save can repeat. */
const BATCH = 20;

/** What one receiver got, in arrival order: `<alert_id>:<version>` with the count, status and severity it carried. */
interface Got {
  id: string;
  alertId: string;
  version: number;
  count: number;
  status: string;
  severity: string;
}

const body = async (req: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

/** An HTTP receiver on a fixed port that can be stopped and started again (the same port: `up`'s config names it). */
class Receiver {
  got: Got[] = [];
  refusedRequests = 0;
  private server: Server | null = null;
  port = 0;
  constructor(private readonly handle: (req: IncomingMessage, text: string) => Got[] | string) {}
  async start(): Promise<void> {
    const server = createServer((req, res) => {
      void body(req).then((text) => {
        const r = this.handle(req, text);
        if (typeof r === 'string') {
          this.refusedRequests++;
          res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ text: r, code: 6 }));
          return;
        }
        this.got.push(...r);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"text":"Success","code":0}');
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }
  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

const fromAlert = (id: string, alert: Alert): Got => {
  const i = id.lastIndexOf(':');
  return { id, alertId: id.slice(0, i), version: Number(id.slice(i + 1)), count: alert.count, status: alert.status, severity: alert.severity };
};

/** HEC: the exact path, the token, and a body of concatenated envelopes that each parse. */
const hec = new Receiver((req, text) => {
  if (req.method !== 'POST' || req.url !== '/services/collector/event') return `wrong request ${req.method} ${req.url}`;
  if (req.headers.authorization !== `Splunk ${HEC_TOKEN}`) return 'wrong token';
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const e = JSON.parse(l) as { event: { delivery: { id: string }; alert: Alert } };
      return fromAlert(e.event.delivery.id, e.event.alert);
    });
});

/** Webhook: the signature must verify with the shared secret. */
const hook = new Receiver((req, text) => {
  const v = verifyWebhook(text, req.headers, HOOK_SECRET, Date.now());
  if (!v.ok) return v.reason;
  return [fromAlert(v.body.delivery.id, v.body.alert)];
});

/** rsyslog's parsed records -> versions (the CEF carries the delivery id in cs5, the count in cnt, the status). */
function syslogGot(rs: Rsyslog): Got[] {
  return rs.received('relp').map((r) => {
    const cef = parseCef(r.msg);
    const id = cef.ext.get('cs5') ?? '';
    const i = id.lastIndexOf(':');
    return {
      id,
      alertId: id.slice(0, i),
      version: Number(id.slice(i + 1)),
      count: Number(cef.ext.get('cnt')),
      status: cef.ext.get('flexString2') ?? '',
      severity: '',
    };
  });
}

/** Checks one receiver's versions against the stored alerts; returns how many repeats it got. */
function checkVersions(
  name: string,
  got: Array<{ id: string; alertId: string; version: number }>,
  alerts: Alert[],
  last?: (g: Got, a: Alert) => void,
  /** Also delivered, not listed: incidents absorbed into another later (their findings stay as they were). */
  absorbed = 0,
): number {
  const byAlert = new Map<string, Map<number, (typeof got)[number]>>();
  let repeats = 0;
  for (const g of got) {
    const vs = byAlert.get(g.alertId) ?? new Map();
    if (vs.has(g.version)) repeats++;
    else vs.set(g.version, g);
    byAlert.set(g.alertId, vs);
  }
  const delivered = new Set(byAlert.keys());
  for (const a of alerts) expect(delivered.has(a.alert_id), `${name}: ${a.alert_id} delivered`).toBe(true);
  expect(delivered.size, `${name}: nothing delivered that is not stored`).toBeLessThanOrEqual(alerts.length + absorbed);
  for (const a of alerts) {
    const vs = byAlert.get(a.alert_id) as Map<number, Got>;
    const n = Math.max(...vs.keys());
    expect(
      [...vs.keys()].sort((x, y) => x - y),
      `${name}: ${a.alert_id} versions without a gap`,
    ).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    last?.(vs.get(n) as Got, a);
  }
  return repeats;
}

describe('agentwatch up: exporters across receiver outages and a SIGKILL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aw-export-outage-'));
  const procs: UpProcess[] = [];
  const ocsfFile = join(dir, 'ocsf', 'findings.ndjson');
  let rsyslog: Rsyslog;
  let lines: string[] = [];
  let lastStatus = '';
  /** For a timeout's message: the exporters as last seen and `up`'s export log lines. */
  const context = (up: UpProcess) => () =>
    `exporters: ${lastStatus}\n${up
      .stderr()
      .split('\n')
      .filter((l) => l.includes('"export"') || l.includes('"level":50'))
      .join('\n')}`;

  const start = async (): Promise<{ up: UpProcess; base: string }> => {
    const up = spawnUp(
      ['--config', join(dir, 'agentwatch.yaml'), '--registry', join(dir, 'registry.yaml'), '--data', join(dir, 'data'), '--listen', '127.0.0.1:0'],
      {
        AGENTWATCH_BOOTSTRAP_TOKEN: TOKEN,
        AW_TEST_HOOK_SECRET: HOOK_SECRET,
        KAFKA_BROKERS: '',
        CLICKHOUSE_URL: '',
      },
    );
    procs.push(up);
    return { up, base: await up.base };
  };
  const exporters = async (base: string) => {
    const res = await fetch(`${base}/v1/exporters`, { headers: auth });
    expect(res.status).toBe(200);
    lastStatus = await res.clone().text();
    return (
      (await res.json()) as { exporters: Array<{ name: string; state: string; pending: number; delivered: number; failed: number; last_error: string | null }> }
    ).exporters;
  };
  const alertsOf = async (base: string): Promise<Alert[]> => {
    const res = await fetch(`${base}/v1/alerts?format=ndjson`, { headers: auth });
    return (await res.text())
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Alert);
  };
  /** Analysts at work: a few alerts acknowledged, one resolved (status versions). */
  const triage = async (base: string, alerts: Alert[], status: string): Promise<void> => {
    for (const a of alerts) {
      const res = await fetch(`${base}/v1/alerts/${a.alert_id}/status`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ status, comment: 'outage test' }),
      });
      expect(res.status).toBe(200);
    }
  };

  beforeAll(async () => {
    await simulateFleet({ agents: 10, days: 8, seed: 41, outDir: dir, start: recentStart(8) });
    lines = readFileSync(join(dir, 'events.ndjson'), 'utf8').split('\n').filter(Boolean);
    await hec.start();
    await hook.start();
    mkdirSync(join(dir, 'rsyslog'));
    rsyslog = await startRsyslog(join(dir, 'rsyslog'));
    const every = { statuses: ['new', 'acknowledged', 'resolved', 'false_positive', 'suppressed'] };
    writeFileSync(join(dir, 'hec-token'), `${HEC_TOKEN}\n`);
    writeFileSync(
      join(dir, 'agentwatch.yaml'),
      JSON.stringify({
        checkpoint_interval: '1s',
        exporters: [
          {
            name: 'splunk',
            type: 'hec',
            url: `http://127.0.0.1:${hec.port}/services/collector/event`,
            token_file: join(dir, 'hec-token'),
            batch_size: BATCH,
            timeout: '2s',
            filter: every,
          },
          {
            name: 'soar',
            type: 'webhook',
            url: `http://127.0.0.1:${hook.port}/hooks/agentwatch`,
            secret_env: 'AW_TEST_HOOK_SECRET',
            batch_size: BATCH,
            timeout: '2s',
            filter: every,
          },
          { name: 'soc-syslog', type: 'syslog', address: rsyslog.address.relp, batch_size: BATCH, timeout: '2s', filter: every },
          { name: 'lake', type: 'ocsf', path: ocsfFile, batch_size: BATCH, filter: every },
        ],
      }),
    );
  }, 180_000);

  afterAll(async () => {
    await killAll(procs);
    await hec.stop();
    await hook.stop();
    await rsyslog?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every alert version reaches every receiver, none lost, repeats only within the crash window', async () => {
    // The fleet's attacks start after its learning days: the first part ends where the first alerts are.
    const [cutA, cutB] = [Math.floor(lines.length * 0.68), Math.floor(lines.length * 0.86)];
    // 1. Receivers up: the first third, some triage.
    const first = await start();
    await postEvents(first.base, auth, lines.slice(0, cutA));
    const early = await waitFor(
      'alerts from the first part',
      async () => {
        const a = await alertsOf(first.base);
        return a.length >= 3 ? a : null;
      },
      60_000,
      context(first.up),
    );
    await triage(first.base, early.slice(0, 3), 'acknowledged');
    await waitFor(
      'the first alerts delivered',
      async () => ((await exporters(first.base)).every((e) => e.delivered > 0) ? true : null),
      60_000,
      context(first.up),
    );

    // 2. The second part goes in; while its alert versions flow, the HTTP receivers and rsyslog stop (mid-stream);
    //    versions pile up as pending; SIGKILL.
    const before = hec.got.length;
    const posting = postEvents(first.base, auth, lines.slice(cutA, cutB), 500);
    await waitFor('deliveries of the second part', async () => (hec.got.length > before ? true : null), 60_000, context(first.up));
    await Promise.all([hec.stop(), hook.stop(), rsyslog.stop()]);
    await posting;
    await triage(first.base, (await alertsOf(first.base)).slice(3, 5), 'resolved');
    await waitFor(
      'the exporters retrying with a backlog',
      async () => {
        const ex = await exporters(first.base);
        const remote = ex.filter((e) => e.name !== 'lake');
        return remote.every((e) => e.state === 'retrying' && e.pending > 0 && e.last_error) ? ex : null;
      },
      60_000,
      context(first.up),
    );
    first.up.proc.kill('SIGKILL');
    expect((await first.up.exited).signal).toBe('SIGKILL');

    // 3. Receivers back, `up` restarted on the same data: the backlog drains; the last third and more triage.
    await hec.start();
    await hook.start();
    await rsyslog.start();
    const second = await start();
    await postEvents(second.base, auth, lines.slice(cutB));
    const all = await alertsOf(second.base);
    await triage(second.base, all.slice(5, 8), 'false_positive');
    const done = await waitFor(
      'every exporter caught up',
      async () => {
        const ex = await exporters(second.base);
        return ex.every((e) => e.pending === 0 && e.state === 'idle') ? ex : null;
      },
      120_000,
      context(second.up),
    );
    const alerts = await alertsOf(second.base);
    const incidents = (
      (await (await fetch(`${second.base}/v1/incidents?limit=1000`, { headers: auth })).json()) as { incidents: Array<{ incident_id: string }> }
    ).incidents;
    second.up.proc.kill('SIGTERM');
    expect(await second.up.exited).toEqual({ code: 0, signal: null });

    // The OCSF file holds alert findings and incident findings (which reference their alerts), told apart by unmapped.
    const findings = readFileSync(ocsfFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const f = JSON.parse(l) as { metadata: { uid: string }; unmapped: { agentwatch: { kind?: string } } };
        const id = f.metadata.uid;
        const i = id.lastIndexOf(':');
        return { id, alertId: id.slice(0, i), version: Number(id.slice(i + 1)), kind: f.unmapped.agentwatch.kind === 'incident' ? 'incident' : 'alert' };
      });
    expect(incidents.length).toBeGreaterThan(0);
    // Incidents absorbed into another (an alert linked two) are not listed; at most one per merge, fewer than listed.
    const absorbed = incidents.length;
    // 4. Per receiver: every alert, versions 1..n, the last one as stored; repeats bounded by one batch per crash.
    expect(alerts.length).toBeGreaterThan(10);
    const asStored = (name: string) => (g: Got, a: Alert) =>
      expect({ count: g.count, status: g.status, severity: g.severity }, `${name}: last version of ${a.alert_id}`).toEqual({
        count: a.count,
        status: a.status,
        severity: a.severity,
      });
    const repeats = {
      splunk: checkVersions('hec', hec.got, alerts, asStored('hec')),
      soar: checkVersions('webhook', hook.got, alerts, asStored('webhook')),
      'soc-syslog': checkVersions('syslog', syslogGot(rsyslog), alerts, (g, a) =>
        expect({ count: g.count, status: g.status }, `syslog: last version of ${a.alert_id}`).toEqual({ count: a.count, status: a.status }),
      ),
      lake: checkVersions(
        'ocsf',
        findings.filter((f) => f.kind === 'alert'),
        alerts,
      ),
      'lake incidents': checkVersions(
        'ocsf incidents',
        findings.filter((f) => f.kind === 'incident'),
        incidents.map((i) => ({ alert_id: i.incident_id }) as Alert),
        undefined,
        absorbed,
      ),
    };
    for (const [name, n] of Object.entries(repeats)) expect(n, `${name}: repeats`).toBeLessThanOrEqual(BATCH);
    for (const e of done) {
      expect(e.failed, `${e.name}: failed`).toBe(0);
      expect(e.delivered, `${e.name}: delivered`).toBeGreaterThanOrEqual(alerts.length);
    }
    expect(hec.refusedRequests + hook.refusedRequests).toBe(0);
    // The receivers' secrets never reach the log, whatever failed meanwhile.
    for (const p of procs) for (const secret of [HEC_TOKEN, HOOK_SECRET]) expect(p.stderr() + p.stdout()).not.toContain(secret);
    console.log(JSON.stringify({ alerts: alerts.length, repeats, delivered: Object.fromEntries(done.map((e) => [e.name, e.delivered])) }));
  }, 600_000);
});
