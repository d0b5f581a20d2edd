// `agentwatch up` (a real process) against the local broker's TLS and SASL listeners (infra/kafka/kafka-local.sh makes
// their certificates and SCRAM user at start): over TLS with a client certificate, and over SASL_SSL with
// SCRAM-SHA-256, SCRAM-SHA-512 and PLAIN, events POSTed over HTTP go through Kafka and come out as the alerts replay
// gives. Every client of `up` (admin, producers, consumers) is on the secured listener only: were one of them
// plaintext, nothing would flow. A wrong password and an untrusted CA are one line in the log and /readyz 503, no
// exit, no stack trace. No secret appears in any output (LOG_LEVEL=debug).
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
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
import { selfSignedCert } from './support/self-signed-cert.ts';
import { tempDir } from './support/temp-dir.ts';
import { killAll, lockUp, postEvents, readNdjson, spawnUp, type UpProcess, waitFor } from './support/up-process.ts';

const brokers = kafkaBrokersOrFail('agentwatch up over Kafka TLS and SASL');
const secure = inject('kafkaSecure');
if (brokers.length > 0 && !secure && kafkaRequired())
  describe('agentwatch up over Kafka TLS and SASL', () => {
    it('has a broker with TLS and SASL listeners', () => {
      throw new Error('the test broker has no TLS/SASL listeners (KAFKA_BROKERS or Testcontainers): run it with infra/kafka/kafka-local.sh');
    });
  });

const TOKEN = 'aw_test_bootstrap_token_kafka_security_01';
const auth = { Authorization: `Bearer ${TOKEN}` };

describe.skipIf(brokers.length === 0 || !secure)('agentwatch up over Kafka TLS and SASL', () => {
  const dir = tempDir('aw-up-kafka-sec-');
  const run = randomUUID().slice(0, 8);
  const ups: UpProcess[] = [];
  const topics: string[] = [];
  const admin = new Kafka({ clientId: `aw-sec-test-${run}`, brokers, logLevel: logLevel.NOTHING }).admin();
  let unlock: (() => void) | undefined;
  let lines: string[] = [];
  let expected: string[] = [];
  const tlsDir = secure?.tlsDir ?? '';
  const file = (name: string) => join(tlsDir, name);
  const password = () => readFileSync(file('sasl-password'), 'utf8').trim();
  const user = () => readFileSync(file('sasl-user'), 'utf8').trim();

  beforeAll(async () => {
    await simulateFleet({ agents: 6, days: 6, seed: 47, outDir: dir, start: recentStart(6) });
    lines = readFileSync(join(dir, 'events.ndjson'), 'utf8').split('\n').filter(Boolean);
    const out = join(dir, 'replay.ndjson');
    await replay({ registry: join(dir, 'registry.yaml'), files: [join(dir, 'events.ndjson')], inputFormat: 'canonical', out, log: () => {} });
    expected = sameClockAlerts(readNdjson<Alert>(out))
      .map((a) => a.alert_id)
      .sort();
    await admin.connect();
    unlock = await lockUp(brokers);
  }, 400_000);

  afterAll(async () => {
    await killAll(ups);
    unlock?.();
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  });

  /** Starts `up` on `mode`'s own topic, group and data dir with `env` (and `args`), LOG_LEVEL=debug. */
  function startUp(mode: string, env: Record<string, string>, args: string[] = []): UpProcess {
    const topic = `aw-sec-${mode}-${run}`;
    topics.push(topic);
    const up = spawnUp(['--registry', join(dir, 'registry.yaml'), '--data', join(dir, `data-${mode}`), '--listen', '127.0.0.1:0', ...args], {
      AGENTWATCH_EVENTS_TOPIC: topic,
      AGENTWATCH_GROUP_ID: `agentwatch-sec-${mode}-${run}`,
      AGENTWATCH_BOOTSTRAP_TOKEN: TOKEN,
      CLICKHOUSE_URL: '',
      LOG_LEVEL: 'debug',
      ...env,
    });
    ups.push(up);
    return up;
  }

  /** Every line of `up`'s output is free of the SASL password and of the client key. */
  function noSecrets(up: UpProcess): void {
    const key = readFileSync(file('client.key'), 'utf8').split('\n')[1] ?? 'no key';
    const out = `${up.stdout()}\n${up.stderr()}`;
    expect(out.length).toBeGreaterThan(1000);
    expect(out).not.toContain(password());
    expect(out).not.toContain(key.slice(0, 24));
  }

  /** Events in over HTTP, through Kafka (the topic holds them), alerts out: replay's; then a clean stop. */
  async function eventsInAlertsOut(mode: string, up: UpProcess): Promise<void> {
    const context = () => up.stderr();
    const base = await up.base;
    await waitFor('/readyz 200', async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : null), 180_000, context);
    await postEvents(base, auth, lines, 2000);
    const topic = topics[topics.length - 1] as string;
    const ends = await admin.fetchTopicOffsets(topic);
    expect(ends.reduce((n, p) => n + Number(p.high), 0)).toBe(lines.length);
    let got: string[] = [];
    await waitFor(
      `${mode}: the alerts of replay`,
      async () => {
        got = await servedSameClockAlertIds(base, auth);
        return got.length === expected.length && got.every((id, i) => id === expected[i]) ? true : null;
      },
      120_000,
      () => `got ${got.length} alerts, expected ${expected.length}\n${up.stderr()}`,
    ).catch(() => undefined);
    console.info(`kafka security ${mode}: ${lines.length} events in, ${got.length}/${expected.length} alerts out`);
    expect(got).toEqual(expected);
    up.proc.kill('SIGTERM');
    expect(await up.exited).toEqual({ code: 0, signal: null });
    noSecrets(up);
  }

  it('replay of the fleet raises alerts to compare with', () => {
    expect(expected.length).toBeGreaterThan(3);
  });

  it('TLS with a client certificate (settings in the config file): events in, alerts out', async () => {
    const config = join(dir, 'tls.yaml');
    writeFileSync(
      config,
      [
        `kafka_brokers: [${secure?.tlsBrokers.join(', ')}]`,
        `kafka_tls_ca_file: ${file('ca.pem')}`,
        `kafka_tls_cert_file: ${file('client.pem')}`,
        `kafka_tls_key_file: ${file('client.key')}`,
        '',
      ].join('\n'),
    );
    const up = startUp('tls', { KAFKA_BROKERS: '' }, ['--config', config]);
    await eventsInAlertsOut('TLS + client certificate', up);
    expect(up.stderr()).toMatch(/"tls":true,"tls_ca":"[^"]+ca\.pem","tls_client_cert":"[^"]+client\.pem".*kafka: connection security/);
  }, 300_000);

  it.each([
    ['scram-sha-256', 'password file'],
    ['scram-sha-512', 'environment'],
    ['plain', 'password file'],
  ] as const)(
    'SASL_SSL %s (password from the %s): events in, alerts out',
    async (mechanism, from) => {
      const up = startUp(mechanism, {
        KAFKA_BROKERS: secure?.saslBrokers.join(',') ?? '',
        AGENTWATCH_KAFKA_TLS_CA_FILE: file('ca.pem'),
        AGENTWATCH_KAFKA_SASL_MECHANISM: mechanism,
        AGENTWATCH_KAFKA_SASL_USERNAME: user(),
        ...(from === 'environment' ? { AGENTWATCH_KAFKA_SASL_PASSWORD: password() } : { AGENTWATCH_KAFKA_SASL_PASSWORD_FILE: file('sasl-password') }),
      });
      await eventsInAlertsOut(`SASL ${mechanism}`, up);
      expect(up.stderr()).toContain(`"sasl_mechanism":"${mechanism}"`);
    },
    300_000,
  );

  /** `up` that cannot get in: waits, says why in one line and in /readyz, never exits or prints a stack; stops on SIGTERM. */
  async function refusedCleanly(up: UpProcess, reason: RegExp): Promise<void> {
    const context = () => up.stderr();
    const base = await up.base;
    await waitFor('the waiting line', async () => (/kafka: waiting for the broker/.test(up.stderr()) ? true : null), 120_000, context);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { error: { message: string } }).error.message).toMatch(reason);
    const waitingLines = up
      .stderr()
      .split('\n')
      .filter((l) => l.includes('kafka: waiting for the broker'));
    expect(waitingLines.join('\n')).toMatch(reason);
    // Still there a while later (backoff rounds), and no stack trace anywhere in its output.
    await new Promise((r) => setTimeout(r, 6_000));
    expect(up.proc.exitCode, context()).toBeNull();
    expect(up.stderr()).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)|\\n\s+at /);
    up.proc.kill('SIGTERM');
    expect((await up.exited).signal).toBeNull();
    noSecrets(up);
  }

  it('a wrong SCRAM password: one line naming the authentication failure, /readyz 503, no exit, no stack', async () => {
    const wrong = join(dir, 'wrong-password');
    writeFileSync(wrong, 'not-the-password\n');
    const up = startUp('wrong-password', {
      KAFKA_BROKERS: secure?.saslBrokers.join(',') ?? '',
      AGENTWATCH_KAFKA_TLS_CA_FILE: file('ca.pem'),
      AGENTWATCH_KAFKA_SASL_MECHANISM: 'scram-sha-256',
      AGENTWATCH_KAFKA_SASL_USERNAME: user(),
      AGENTWATCH_KAFKA_SASL_PASSWORD_FILE: wrong,
    });
    await refusedCleanly(up, /SASL.*authentication failed/i);
  }, 300_000);

  it('a CA that did not sign the broker certificate: one line naming the certificate, /readyz 503, no exit, no stack', async () => {
    const stranger = selfSignedCert(dir, 'stranger-ca');
    const up = startUp('untrusted-ca', {
      KAFKA_BROKERS: secure?.tlsBrokers.join(',') ?? '',
      AGENTWATCH_KAFKA_TLS_CA_FILE: stranger.cert,
      AGENTWATCH_KAFKA_TLS_CERT_FILE: file('client.pem'),
      AGENTWATCH_KAFKA_TLS_KEY_FILE: file('client.key'),
    });
    await refusedCleanly(up, /certificate/i);
  }, 300_000);
});
