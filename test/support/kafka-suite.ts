import { describe, inject, it } from 'vitest';
import { kafkaRequired } from './kafka.ts';

/**
 * The brokers the Kafka project's global setup provided, for a `*.kafka.test.ts` file. When there are none and
 * Kafka is required (CI, or AGENTWATCH_REQUIRE_KAFKA=1), registers a failing test naming why, so a missing broker
 * fails the run instead of silently skipping; callers wrap their suite in `describe.skipIf(brokers.length === 0)`.
 */
export function kafkaBrokersOrFail(suite: string): string[] {
  const brokers: string[] = inject('kafkaBrokers') ?? [];
  if (brokers.length === 0 && kafkaRequired()) {
    const why = inject('kafkaUnavailable') ?? 'test/support/kafka-global-setup.ts is not in vitest globalSetup';
    describe(suite, () => {
      it('has a broker', () => {
        throw new Error(`no Kafka broker for the integration tests: ${why}`);
      });
    });
  }
  return brokers;
}
