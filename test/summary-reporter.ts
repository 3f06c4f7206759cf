import type { Reporter, TestCase, TestModule } from 'vitest/node';

/** The environment variable that turns every skipped test into a failure of the run (CI sets it). */
export const REQUIRE_ALL = 'WHARF_REQUIRE_ALL';

/**
 * Prints one plain closing line, `Tests: N passed, N failed, N skipped`, that CI tooling reads without
 * knowing vitest. A file that fails to load counts as a failure, so a broken import cannot pass silently.
 *
 * With WHARF_REQUIRE_ALL=1 every test that did not run (a suite skipped because Docker, compose or Pebble
 * is missing, `it.skip`, `it.todo`) is listed and the run exits non-zero: CI cannot pass by skipping.
 * One check here covers every conditional skip, including those of suites added later.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    const skipped: TestCase[] = [];
    for (const mod of testModules) {
      if (mod.state() === 'failed' && [...mod.children.allTests()].length === 0) failed++;
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped.push(test);
      }
    }
    process.stdout.write(`\nTests: ${passed} passed, ${failed} failed, ${skipped.length} skipped\n`);
    if (process.env[REQUIRE_ALL] === '1' && skipped.length > 0) {
      const lines = skipped.map((t) => `  ${t.module.moduleId}: ${t.fullName}${noteOf(t)}`);
      process.stdout.write(
        `${REQUIRE_ALL}=1: ${skipped.length} test(s) did not run, so this run FAILS:\n${lines.join('\n')}\n` +
          'Install what the skip reasons printed above name (or run as root so the tests install it).\n',
      );
      process.exitCode = 1;
    }
  }
}

function noteOf(test: TestCase): string {
  const note = (test.result() as { note?: string }).note;
  return note ? ` (${note})` : '';
}
