import { type logCreator, logLevel } from 'kafkajs';
import type { Logger } from 'pino';

/**
 * kafkajs' own log lines, through pino at debug level and without stacks. While a broker is away kafkajs logs every
 * failed connect and retry with a stack; what `up` tells about Kafka is KafkaConnectionState's one line per change,
 * and errors that need a person are logged where they reach `up`. LOG_LEVEL=debug shows kafkajs' detail.
 */
export function kafkaLogCreator(logger: Logger): logCreator {
  const log = logger.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log: entry }) => {
      if (!log.isLevelEnabled('debug')) return;
      const {
        message,
        stack: _stack,
        timestamp: _ts,
        logger: _l,
        ...rest
      } = entry as { message: string; stack?: unknown; timestamp?: unknown; logger?: unknown };
      log.debug({ namespace, kafkajs_level: logLevel[level], ...rest }, message);
    };
}
