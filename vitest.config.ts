import { defineConfig } from 'vitest/config';

/** Suites that need a real Kafka broker: they run in their own project, whose global setup starts one. */
const KAFKA_TESTS = ['test/kafka-*.test.ts', '**/*.kafka.test.ts'];
/** The console's browser test (Debian's chromium via playwright-core, a real `agentwatch up`): its own project, longer timeouts. */
const BROWSER_TESTS = ['**/*.e2e.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default', './test/support/plain-summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['schemas/test/**/*.test.ts', 'detections/test/**/*.test.ts', 'services/*/test/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['**/node_modules/**', ...KAFKA_TESTS, ...BROWSER_TESTS],
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['services/console/test/**/*.e2e.test.ts'],
          exclude: ['**/node_modules/**'],
          testTimeout: 180_000,
          hookTimeout: 600_000,
        },
      },
      {
        extends: true,
        test: { name: 'kafka', include: KAFKA_TESTS, exclude: ['**/node_modules/**'], globalSetup: ['test/support/kafka-global-setup.ts'] },
      },
    ],
  },
});
