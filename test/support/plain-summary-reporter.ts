import type { Reporter, TestModule } from 'vitest/node';

/**
 * Ends a vitest run with one plain line, `vitest: N passed, N failed, N skipped`, after the default reporter's summary.
 * CI tooling that does not know vitest's own summary reads this line as the run's count.
 */
export default class PlainSummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const mod of testModules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') counts.passed += 1;
        else if (state === 'failed') counts.failed += 1;
        else counts.skipped += 1;
      }
      // A file that failed to load has no tests to count but is a failure all the same.
      if (mod.state() === 'failed' && !mod.children.size) counts.failed += 1;
    }
    process.stdout.write(`\nvitest: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
  }
}
