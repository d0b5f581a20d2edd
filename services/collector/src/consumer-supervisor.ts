import type { Consumer } from 'kafkajs';
import type { Logger } from 'pino';
import { backoffDelay } from './backoff.ts';
import type { KafkaConnectionState } from './kafka-connection-state.ts';
import { describeKafkaError, isRetriableKafkaError } from './kafka-errors.ts';

export interface ConsumerSupervision {
  log: Logger;
  /** What the consumer is, for the log ("consumer", "source consumer"). */
  what: string;
  /** True once its owner is stopping: nothing is restarted then. */
  stopping: () => boolean;
  /** Starts the run loop again (consumer.run with the owner's handlers). */
  run: () => Promise<void>;
  /** The crash needs a person (or is not a Kafka condition): the owner stops for good. */
  onFatal: (err: Error) => void;
  connection?: KafkaConnectionState;
}

/**
 * Keeps a consumer's run loop alive through broker conditions. kafkajs restarts the loop after errors it deems
 * retriable (one warning line, no stack); a crash that isRetriableKafkaError calls retriable but kafkajs does not
 * (e.g. KafkaJSGroupCoordinatorNotFound while a broker starts) is restarted here, reconnecting with backoff; any other
 * crash is fatal (logged with its stack: it is a bug or needs a person).
 */
export function superviseConsumer(consumer: Consumer, s: ConsumerSupervision): void {
  const restart = (attempt: number) => {
    setTimeout(() => {
      if (s.stopping()) return;
      consumer
        .connect()
        .then(s.run)
        .catch((err: unknown) => {
          if (s.stopping()) return;
          if (!isRetriableKafkaError(err)) return fatal(err);
          s.connection?.waiting(err);
          restart(attempt + 1);
        });
    }, backoffDelay(attempt)).unref();
  };
  const fatal = (err: unknown) => {
    s.log.error({ err }, `${s.what} crashed`);
    s.onFatal(err instanceof Error ? err : new Error(String(err)));
  };
  consumer.on(consumer.events.CRASH, (e) => {
    const err = e.payload.error;
    // With a connection state, that logs the change once (a broker away for an hour is one line, not one per retry).
    const say = (msg: string) => (s.connection ? s.log.debug({ reason: describeKafkaError(err) }, msg) : s.log.warn({ reason: describeKafkaError(err) }, msg));
    if (e.payload.restart) {
      say(`${s.what} stopped; kafkajs restarts it`);
      return;
    }
    if (isRetriableKafkaError(err) && !s.stopping()) {
      say(`${s.what} stopped; restarting it`);
      restart(0);
      return;
    }
    fatal(err);
  });
}
