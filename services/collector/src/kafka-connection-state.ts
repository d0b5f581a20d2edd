import type { Consumer } from 'kafkajs';
import type { Logger } from 'pino';
import { describeKafkaError } from './kafka-errors.ts';

/**
 * starting: not yet tried; waiting: the broker is not there, not ready or a topic is missing (retried with backoff);
 * connected: the consumer joined its group and has its assignment; stopping: shutting down.
 */
export type KafkaPhase = 'starting' | 'waiting' | 'connected' | 'stopping';

/**
 * Where `up` stands with Kafka, for /readyz, the log and /metrics. Logs one line per change of phase or reason (no
 * stack trace: these are conditions that pass, not bugs), so a broker that is down for an hour costs one line.
 */
export class KafkaConnectionState {
  private current: { phase: KafkaPhase; reason: string; sinceMs: number } = { phase: 'starting', reason: 'connecting to the brokers', sinceMs: Date.now() };

  constructor(private readonly log: Logger) {}

  get phase(): KafkaPhase {
    return this.current.phase;
  }

  /** Why it is not connected (or since when it is), for /readyz. */
  get reason(): string {
    return this.current.reason;
  }

  get ready(): boolean {
    return this.current.phase === 'connected';
  }

  /** Waiting for the broker because of `err` (a retriable error), retrying in `retryInMs` if known. */
  waiting(err: unknown, retryInMs?: number): void {
    this.set('waiting', describeKafkaError(err), retryInMs);
  }

  connected(detail: string): void {
    this.set('connected', detail);
  }

  stopping(): void {
    this.set('stopping', 'shutting down');
  }

  /** Follows a consumer: joined its group -> connected; crashed or disconnected (not while stopping) -> waiting. */
  watch(consumer: Consumer, topic: string): void {
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const partitions = e.payload.memberAssignment[topic] ?? [];
      this.connected(`consumer group ${e.payload.groupId} joined, ${partitions.length} partition(s) of ${topic} assigned`);
    });
    consumer.on(consumer.events.CRASH, (e) => {
      if (this.current.phase !== 'stopping') this.waiting(e.payload.error);
    });
    consumer.on(consumer.events.DISCONNECT, () => {
      if (this.current.phase === 'connected') this.set('waiting', 'consumer disconnected from the brokers');
    });
  }

  private set(phase: KafkaPhase, reason: string, retryInMs?: number): void {
    if (phase === this.current.phase && reason === this.current.reason) return;
    // Stopping is final: what the clients report while they are being closed is no news.
    if (this.current.phase === 'stopping') return;
    this.current = { phase, reason, sinceMs: Date.now() };
    const retry = retryInMs === undefined ? {} : { retry_in_ms: retryInMs };
    if (phase === 'waiting') this.log.warn({ kafka: phase, reason, ...retry }, `kafka: waiting for the broker (${reason})`);
    else this.log.info({ kafka: phase, reason }, `kafka: ${phase} (${reason})`);
  }
}
