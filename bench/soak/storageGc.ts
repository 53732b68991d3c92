/**
 * `npm run storage:gc -- --delete` at the end of a soak run, with the app's own environment and
 * a grace period of seconds instead of a day: what the run's faults left in the bucket without
 * a row (an upload cut off by SIGKILL, a replaced avatar whose delete met an outage) is removed,
 * as an operator's daily job would. Resolves with its exit code; its output goes to stderr.
 */
import { execFile } from 'node:child_process';
import { log } from '../support/log.ts';

const GC_TIMEOUT_MS = 120_000;
/** 3.6 s: every leftover of the run is older than that once traffic has stopped and resync drained. */
const GRACE_HOURS = '0.001';

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
