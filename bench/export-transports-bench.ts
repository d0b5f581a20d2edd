// Alert versions per second through each export transport to a local receiver (issue 16; one part of what
// `bench:export` reports: the outbox's own cost is measured separately). The versions come from a simulated fleet's
// alerts in three versions each, renamed so there are `--versions` distinct ones; the receivers are loopback HTTP
// servers in this process answering as HEC does, and a file in the OS temp dir. Kafka runs when --brokers is given.
//   tsx bench/export-transports-bench.ts [--versions 6000] [--batch 100] [--brokers host:port,...]
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  createHecTransport,
  createKafkaTransport,
  createOcsfFileTransport,
  createOcsfHttpTransport,
  createWebhookTransport,
  type ExportItem,
  type Transport,
} from '@agentwatch/exporters';
import { Kafka, logLevel } from 'kafkajs';
import { fleetAlertVersions } from '../test/support/fleet-alert-versions.ts';

const ORIGIN = { productVersion: '0.1.0', hostname: 'bench' };

/** A loopback receiver that reads each body and answers HEC's success object. */
async function receiver(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"text":"Success","code":0}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** `n` distinct versions cycled from the fleet's (alert ids suffixed so each is its own delivery). */
function versions(fleet: readonly ExportItem[], n: number): ExportItem[] {
  return Array.from({ length: n }, (_, i) => {
    const item = fleet[i % fleet.length] as ExportItem;
    return { ...item, alert: { ...item.alert, alert_id: `${item.alert.alert_id}-${Math.floor(i / fleet.length)}` } };
  });
}

async function measure(name: string, t: Transport, items: readonly ExportItem[], batch: number): Promise<{ name: string; perSecond: number }> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < items.length; i += batch) await t.send(items.slice(i, i + batch));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await t.close();
  return { name, perSecond: Math.round(items.length / seconds) };
}

export async function benchTransports(opts: { versions: number; batch: number; brokers: string[] }): Promise<Array<{ name: string; perSecond: number }>> {
  const dir = mkdtempSync(join(tmpdir(), 'aw-export-bench-'));
  const fleet = await fleetAlertVersions({ agents: 20, days: 6, seed: 7, exporter: 'bench', dir });
  const items = versions(fleet, opts.versions);
  const r = await receiver();
  const out: Array<{ name: string; perSecond: number }> = [];
  try {
    out.push(await measure('hec', createHecTransport({ url: `${r.url}/services/collector/event`, token: 'bench', origin: ORIGIN }), items, opts.batch));
    out.push(await measure('webhook', createWebhookTransport({ url: `${r.url}/hook`, secret: 'bench' }), items, opts.batch));
    out.push(await measure('ocsf-http', createOcsfHttpTransport({ url: `${r.url}/lake`, origin: ORIGIN }), items, opts.batch));
    out.push(await measure('ocsf-file', createOcsfFileTransport({ path: join(dir, 'findings.ndjson'), origin: ORIGIN }), items, opts.batch));
    if (opts.brokers.length > 0) {
      const kafka = new Kafka({ clientId: 'aw-export-bench', brokers: opts.brokers, logLevel: logLevel.NOTHING });
      const producer = kafka.producer();
      await producer.connect();
      try {
        out.push(await measure('kafka', createKafkaTransport({ producer, topic: `aw-export-bench-${process.pid}` }), items, opts.batch));
      } finally {
        await producer.disconnect();
      }
    }
  } finally {
    await r.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { versions: { type: 'string', default: '6000' }, batch: { type: 'string', default: '100' }, brokers: { type: 'string', default: '' } },
  });
  const versionsN = Number(values.versions);
  const batch = Number(values.batch);
  const rows = await benchTransports({ versions: versionsN, batch, brokers: values.brokers.split(',').filter(Boolean) });
  console.log(`export transports: ${versionsN} alert versions, batches of ${batch}, loopback receivers`);
  for (const { name, perSecond } of rows) console.log(`  ${name.padEnd(10)} ${String(perSecond).padStart(8)} alert versions/s`);
}
