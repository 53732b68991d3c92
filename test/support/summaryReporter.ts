/**
 * Ends every run with one plain line, `vitest: N passed, N failed, N skipped`, which CI reads.
 * Runs next to the default reporter, which prints the details. Before it, the run's captured
 * logs are searched for secrets (secretScan.ts); a leak counts as a failure and fails the run.
 */
import fs from 'node:fs';
import type { Reporter, SerializedError, TestModule, TestRunEndReason } from 'vitest/node';
import { scanCapturedLogs } from './secretScan.ts';

interface RunCounts {
  passed: number;
  failed: number;
  skipped: number;
  notRun: number;
}

export default class SummaryReporter implements Reporter {
  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError>,
    reason: TestRunEndReason,
  ): void {
    const counts = countTests(testModules);
    // Unhandled errors, a failing globalSetup or an interrupted run fail the run without
    // failing any test; the line must not read as green then.
    counts.failed += unhandledErrors.length;
    if (reason !== 'passed' && counts.failed === 0) counts.failed = 1;
    counts.failed += scanLogsForSecrets();
    const notRun = counts.notRun > 0 ? `, ${counts.notRun} not run` : '';
    process.stdout.write(
      `\nvitest: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped${notRun}\n`,
    );
  }
}

function countTests(testModules: ReadonlyArray<TestModule>): RunCounts {
  const counts: RunCounts = { passed: 0, failed: 0, skipped: 0, notRun: 0 };
  for (const testModule of testModules) {
    let failedInModule = 0;
    for (const test of testModule.children.allTests()) {
      const state = test.result().state;
      if (state === 'passed') counts.passed += 1;
      else if (state === 'failed') failedInModule += 1;
      else if (state === 'skipped') counts.skipped += 1;
      else counts.notRun += 1;
    }
    // A file that fails to import or whose beforeAll throws may report no failed test.
    const moduleBroke = testModule.errors().length > 0 || testModule.state() === 'failed';
    counts.failed += failedInModule === 0 && moduleBroke ? 1 : failedInModule;
  }
  return counts;
}

/** The number of leaks found (each printed), 0 when clean or when the run captured nothing. */
function scanLogsForSecrets(): number {
  const dir = process.env.VV_LOG_CAPTURE_DIR;
  if (!dir || !fs.existsSync(dir)) return 0;
  const scan = scanCapturedLogs(dir);
  fs.rmSync(dir, { recursive: true, force: true });
  if (scan.leaks.length === 0) {
    process.stdout.write(
      `\nlog scan: ${scan.files} captured log files (${scan.bytes} bytes) searched for ${scan.secrets} secrets and presigned signatures: none found\n`,
    );
    return 0;
  }
  process.stdout.write(`\nlog scan: SECRETS LEAKED INTO LOGS\n${scan.leaks.map((leak) => `  ${leak}`).join('\n')}\n`);
  process.exitCode = 1;
  return scan.leaks.length;
}
