/**
 * `npm run storage:gc -- --delete` at the end of a soak run, with the app's own environment and
 * a grace period of seconds instead of a day: what the run's faults left in the bucket without
 * a row (an upload cut off by SIGKILL, a replaced avatar whose delete met an outage) is removed,
 * as an operator's daily job would. Resolves with its exit code; its output goes to stderr.
 */
import { execFile } from 'node:child_process';
import { log } from '../support/log.ts';

const GC_TIMEOUT_MS = 120_000;
/** 3.6 s: storage:gc keeps an object younger than that (it may be an upload whose row is still being written). */
const GRACE_HOURS = '0.001';
export const GC_GRACE_MS = Number(GRACE_HOURS) * 3_600_000;
/** S3's LastModified may be rounded down to the second, and the two clocks read apart. */
const CLOCK_MARGIN_MS = 1_500;

/**
 * How long to wait before storage:gc so that it can judge every leftover. Leftovers are still
 * made at the very end of traffic — a replaced avatar whose old objects the app could not
 * delete while its breaker was open, after the worker's resync had just copied them to S3 — so
 * gc started right after the run settles would keep them as too young, and the audit after it
 * would count them.
 */
export function waitBeforeGcMs(newestLeftoverAt: number | undefined, now: number): number {
  if (newestLeftoverAt === undefined) return 0;
  return Math.max(0, newestLeftoverAt + GC_GRACE_MS + CLOCK_MARGIN_MS - now);
}

export function runStorageGc(projectDir: string, env: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['src/cli/storageGc.ts', '--delete', '--older-than-hours', GRACE_HOURS],
      { cwd: projectDir, env: { ...env, LOG_LEVEL: 'warn' }, timeout: GC_TIMEOUT_MS },
      (error, stdout, stderr) => {
        for (const line of `${stdout}${stderr}`
          .split('\n')
          .filter((text) => text.trim())
          .slice(-8))
          log(`storage:gc: ${line}`);
        resolve(error ? (typeof error.code === 'number' ? error.code : 1) : 0);
      },
    );
  });
}
