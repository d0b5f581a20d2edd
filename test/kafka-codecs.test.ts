// Any producer's messages (issue 15, item 1): a simulated fleet's canonical events produced by kcat (librdkafka, not
// kafkajs) with every Kafka codec into the real broker, keyed by agent_id with Java's partitioner as our producer
// does; `agentwatch up` (Kafka mode, `kafka_compression` set to the same codec) consumes them. Per codec: the stored
// events are the produced ones (count and ids, no duplicates), the alerts are replay's on the same events, and kcat
// reads back the alerts agentwatch produced with that codec.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Alert } from '@agentwatch/schemas';
import { simulateFleet } from '@agentwatch/simulator';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { replay } from '../services/cli/src/commands/replay.ts';
import { kafkaRequired } from './support/kafka.ts';
import { kafkaBrokersOrFail } from './support/kafka-suite.ts';
import { recentStart } from './support/recent-start.ts';
import { sameClockAlerts, servedSameClockAlertIds } from './support/same-clock.ts';
import { lockUp, ROOT, readNdjson, spawnUp, type UpProcess, waitFor } from './support/up-process.ts';

const brokers = kafkaBrokersOrFail('Kafka codecs (kcat)');
const kcatMissing = inject('kcatUnavailable');
if (kcatMissing !== '' && kafkaRequired()) throw new Error(`Kafka codecs (kcat): ${kcatMissing}`);
const TOKEN = 'aw_test_bootstrap_token_codecs_0123456789';
const auth = { Authorization: `Bearer ${TOKEN}` };
const PARTITIONS = 3;
const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

interface StoreContents {
  rows: number;
  ids: string[];
  alerts: Array<{ alert_id: string; count: number }>;
}

/** What an embedded store holds (read in a child process: one chdb data directory per process). */
function storeContents(dataDir: string): StoreContents {
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'test', 'support', 'store-contents.ts'), join(dataDir, 'clickhouse')], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  return JSON.parse(out.trim().split('\n').pop() as string) as StoreContents;
}

describe.skipIf(brokers.length === 0 || kcatMissing !== '')('Kafka codecs: kcat produces, agentwatch consumes and produces', () => {
  const run = randomUUID().slice(0, 8);
  const dir = mkdtempSync(join(tmpdir(), 'aw-codecs-'));
  const kafka = new Kafka({ clientId: `aw-codecs-test-${run}`, brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  let unlock: (() => void) | undefined;
  let lines: string[] = [];
  let events: Array<{ event_id: string; agent_id: string }> = [];
  let expectedAlerts: string[] = [];
  const running: UpProcess[] = [];

  beforeAll(async () => {
    await simulateFleet({ agents: 6, days: 4, seed: 1515, outDir: dir, start: recentStart(4) });
    lines = readFileSync(join(dir, 'events.ndjson'), 'utf8').split('\n').filter(Boolean);
    events = lines.map((l) => JSON.parse(l) as { event_id: string; agent_id: string });
    const out = join(dir, 'replay.ndjson');
    await replay({ registry: join(dir, 'registry.yaml'), files: [join(dir, 'events.ndjson')], inputFormat: 'canonical', out, log: () => {} });
    // telemetry_integrity alerts are timed by arrival, which differs between live and replay (support/same-clock.ts).
    expectedAlerts = sameClockAlerts(readNdjson<Alert>(out))
      .map((a) => a.alert_id)
      .sort();
    await admin.connect();
    unlock = await lockUp(brokers);
  }, 400_000);

  afterAll(async () => {
    for (const up of running) if (up.proc.exitCode === null && up.proc.signalCode === null) up.proc.kill('SIGKILL');
    unlock?.();
    await admin.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the fleet has alerts to compare', () => {
    expect(events.length).toBeGreaterThan(500);
    expect(expectedAlerts.length).toBeGreaterThan(3);
  });

  for (const codec of CODECS) {
    it(`${codec}: kcat's events are stored once each, give replay's alerts, and kcat reads agentwatch's ${codec} alerts`, async () => {
      const topic = `aw-codecs-events-${codec}-${run}`;
      const alertsTopic = `aw-codecs-alerts-${codec}-${run}`;
      await admin.createTopics({
        waitForLeaders: true,
        topics: [
          { topic, numPartitions: PARTITIONS, replicationFactor: 1 },
          { topic: alertsTopic, numPartitions: 1, replicationFactor: 1 },
        ],
      });
      // Keyed by agent_id (key TAB value per line; JSON text never holds a raw tab), murmur2 like kafkajs and Java.
      const input = `${events.map((e, i) => `${e.agent_id}\t${lines[i]}`).join('\n')}\n`;
      const produced = spawnSync(
        'kcat',
        ['-P', '-b', brokers.join(','), '-t', topic, '-z', codec, '-K', '\t', '-X', 'partitioner=murmur2_random', '-X', 'linger.ms=20'],
        { input, encoding: 'utf8', timeout: 120_000 },
      );
      expect(produced.status, `kcat -P: ${produced.stderr}`).toBe(0);
      const ends = await admin.fetchTopicOffsets(topic);
      expect(ends.reduce((n, p) => n + Number(p.high), 0)).toBe(events.length);

      const data = join(dir, `data-${codec}`);
      const up = spawnUp(['--registry', join(dir, 'registry.yaml'), '--data', data, '--listen', '127.0.0.1:0'], {
        KAFKA_BROKERS: brokers.join(','),
        AGENTWATCH_EVENTS_TOPIC: topic,
        AGENTWATCH_ALERTS_TOPIC: alertsTopic,
        AGENTWATCH_GROUP_ID: `agentwatch-codecs-${codec}-${run}`,
        AGENTWATCH_KAFKA_COMPRESSION: codec,
        AGENTWATCH_BOOTSTRAP_TOKEN: TOKEN,
        CLICKHOUSE_URL: '',
      });
      running.push(up);
      const base = await up.base;
      let got: string[] = [];
      await waitFor(
        `the alerts of replay (${codec})`,
        async () => {
          got = await servedSameClockAlertIds(base, auth);
          return got.length === expectedAlerts.length && got.every((id, i) => id === expectedAlerts[i]) ? true : null;
        },
        120_000,
        () => `got ${got.length} alerts, expected ${expectedAlerts.length}\n${up.stderr()}`,
      ).catch(() => undefined);
      up.proc.kill('SIGTERM');
      const { code } = await up.exited;
      expect(code, up.stderr().slice(-3000)).toBe(0);
      expect(up.stderr()).not.toMatch(/compression not implemented|undecodable record batch/);

      const stored = storeContents(data);
      const producedIds = new Set(events.map((e) => e.event_id));
      const storedIds = new Set(stored.ids);
      const lost = [...producedIds].filter((id) => !storedIds.has(id)).length;
      const extra = stored.ids.filter((id) => !producedIds.has(id)).length;
      const missingAlerts = expectedAlerts.filter((id) => !got.includes(id)).length;
      const extraAlerts = got.filter((id) => !expectedAlerts.includes(id)).length;

      // agentwatch's own alerts, produced with this codec, read by a librdkafka consumer.
      const read = spawnSync('kcat', ['-C', '-b', brokers.join(','), '-t', alertsTopic, '-e', '-q', '-f', '%k\n'], { encoding: 'utf8', timeout: 60_000 });
      expect(read.status, `kcat -C: ${read.stderr}`).toBe(0);
      const alertKeys = read.stdout.split('\n').filter(Boolean);
      const storedAlertIds = stored.alerts.map((a) => a.alert_id).sort();

      console.info(
        `codec ${codec}: events produced by kcat ${events.length} / stored ${stored.rows} (distinct ${storedIds.size}) / duplicates ${stored.rows - storedIds.size} / lost ${lost} / extra ${extra}; ` +
          `alerts expected ${expectedAlerts.length} / found ${got.length - extraAlerts} / missing ${missingAlerts} / extra ${extraAlerts}; ` +
          `kcat read ${alertKeys.length} ${codec} alert messages (${new Set(alertKeys).size} ids, store holds ${storedAlertIds.length})`,
      );
      expect(stored.rows).toBe(events.length);
      expect(storedIds.size).toBe(events.length);
      expect(lost).toBe(0);
      expect(got).toEqual(expectedAlerts);
      expect([...new Set(alertKeys)].sort()).toEqual(storedAlertIds);
      await admin.deleteTopics({ topics: [topic, alertsTopic] }).catch(() => {});
    }, 300_000);
  }
});
