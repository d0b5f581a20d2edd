import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['schemas/test/**/*.test.ts', 'detections/test/**/*.test.ts', 'services/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
