import type { Kafka } from 'kafkajs';
import { type BackoffOptions, backoffDelay, sleepUnlessAborted } from './backoff.ts';
import type { KafkaConnectionState } from './kafka-connection-state.ts';
import { isCredentialKafkaError, isRetriableKafkaError } from './kafka-errors.ts';

/** Refused credentials are retried no faster than this: each try is a failed login in the broker's log. */
const CREDENTIAL_RETRY_MIN_MS = 10_000;

/** Longest wait for a failed start's partial clients to close before the next attempt. */
const TEARDOWN_MS = 10_000;

export interface BrokerWaitOptions {
  kafka: Kafka;
  state: KafkaConnectionState;
  /** Topics the consumers read: created (broker defaults for partitions and replicas) when missing. */
  topics: readonly string[];
  /** Consumer group whose coordinator must answer (it is still loading on a broker that just started). */
  groupId: string;
  /** Aborted on shutdown: the wait ends (resolves false) without starting. */
  signal: AbortSignal;
  backoff?: BackoffOptions;
}

/**
 * Asks the broker what start-up needs, so start-up does not meet a broker half ready: connects an admin client,
 * creates the missing topics (waiting for their leaders), and looks the group's coordinator up. Throws what kafkajs
 * throws (classified by isRetriableKafkaError).
 */
export async function probeBroker(kafka: Kafka, topics: readonly string[], groupId: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length > 0) {
      try {
        await admin.createTopics({ waitForLeaders: true, topics: missing.map((topic) => ({ topic })) });
      } catch (e) {
        // Created by someone else meanwhile (another collector, a producer's auto-creation).
        if (!/already exists/i.test((e as Error).message)) throw e;
      }
    }
    // Metadata with leaders for every topic, and the group coordinator (FindCoordinator + DescribeGroups).
    await admin.fetchTopicMetadata({ topics: [...topics] });
    await admin.describeGroups([groupId]);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Starts the Kafka side of `up` once the broker can serve it: probe, then `start`. A retriable failure (broker not
 * there, starting, restarting, topic or coordinator not ready) is reported on `state` (one log line per change),
 * `teardown` closes whatever `start` had opened, and it tries again after a capped, jittered backoff; refused
 * credentials (isCredentialKafkaError) are waited out the same way, at least 10 s apart; any other fatal error is thrown. Resolves true once started, false when `signal` aborted the wait.
 */
export async function startWhenBrokerReady(opts: BrokerWaitOptions, start: () => Promise<void>, teardown: () => Promise<void>): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    if (opts.signal.aborted) return false;
    try {
      await probeBroker(opts.kafka, opts.topics, opts.groupId);
      if (opts.signal.aborted) return false;
      await start();
      return true;
    } catch (err) {
      const refused = isCredentialKafkaError(err);
      if (!refused && !isRetriableKafkaError(err)) throw err;
      await withTimeout(teardown(), TEARDOWN_MS);
      const delay = refused ? Math.max(CREDENTIAL_RETRY_MIN_MS, backoffDelay(attempt, opts.backoff)) : backoffDelay(attempt, opts.backoff);
      opts.state.waiting(err, delay);
      if (!(await sleepUnlessAborted(delay, opts.signal))) return false;
    }
  }
}

/** `p` settled, or `ms` passed (errors ignored: used for best-effort cleanup). */
async function withTimeout(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => undefined), new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
