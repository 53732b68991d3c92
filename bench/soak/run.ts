/**
 * `npm run soak` — minutes of mixed traffic from a separate process (bench/soak/traffic.ts)
 * against the app and its worker, while S3 stops for 20 s every 60 s, PostgreSQL restarts
 * once, and the app and the worker are each SIGKILLed once and started again
 * (bench/soak/faultPlan.ts). Then, once resync has drained: every upload answered with success
 * must be in S3 with its row, every image on every page must load, nothing may be lost, no
 * 5xx may fall outside the fault windows, and the app's RSS at the end must be within 10 % of
 * its RSS after warm-up. One table on stdout; progress on stderr; exit 1 when an invariant
 * fails (the table says which).
 *
 *   npm run soak                      10 minutes (SOAK_MINUTES or --minutes N to change)
 *   npm run soak -- --minutes 2       what CI runs
 *   SOAK_DATABASE_URL=postgres://…    use that server (a throwaway database in it) and skip the restart
 *   BENCH_APP_ENV="NAME=value …"      extra variables for the app and the worker (a runtime setting to try)
 */
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { startChildScript } from '../support/childScript.ts';
import { parseWholeNumberFlags, createBenchRun } from '../support/benchRun.ts';
import { closeConnections } from '../support/httpMember.ts';
import { log } from '../support/log.ts';
import { makeS3Client } from '../../test/support/s3Server.ts';
import { planFaults } from './faultPlan.ts';
import { runFaults } from './faultRunner.ts';
import { countLogLines } from './logCounts.ts';
import { auditPageImages } from './pageImages.ts';
import { appRssFigures } from './rssFigures.ts';
import { startSoakServices } from './soakServices.ts';
import { formatSoakTable } from './soakTable.ts';
import { failedVerdicts, judgeSoak } from './soakVerdict.ts';
import { auditStorage, waitUntilSettled } from './storageAudit.ts';
import { runStorageGc, waitBeforeGcMs } from './storageGc.ts';
import type { TrafficRequest } from './traffic.ts';
import { expand, type TrafficReport } from './trafficReport.ts';

const DRAIN_WITHIN_MS = 180_000;
const PAGE_AUDIT_WITHIN_MS = 300_000;

const soak = createBenchRun(closeConnections);

await soak.run(async () => {
  const fromEnv = Number(process.env.SOAK_MINUTES || 10);
  const { minutes, users } = parseWholeNumberFlags(
    process.argv.slice(2),
    { '--minutes': 'minutes', '--users': 'users' },
    { minutes: Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : 10, users: 4 },
  );
  const services = await startSoakServices(soak.defer);
  const durationMs = minutes * 60_000;
  const plan = planFaults(durationMs / 1000, { postgresRestart: services.canRestartDatabase });
  if (!services.canRestartDatabase) log('SOAK_DATABASE_URL is set: that server is not ours, so it is not restarted');
  log(`app at ${services.origin}, database ${services.databaseLabel}; ${minutes} min of traffic from ${users} members`);

  const traffic = await startChildScript<{ pid: number }>('bench/soak/traffic.ts');
  soak.defer(() => traffic.stop());
  const request: TrafficRequest = { origin: services.origin, durationMs, users, seed: 17 };
  const startedAt = Date.now();
  const reportPromise = traffic.ask<TrafficReport>(request);
  const windows = await runFaults(plan, services.faults, startedAt, startedAt + durationMs);
  const report = await reportPromise;
  const unplannedExits = services.unplannedExits();
  const { readyAt, process: finalApp } = services.app();
  if (unplannedExits.length > 0) log(`${unplannedExits.join('; ')}; the app's last output:\n${finalApp.output()}`);
  const rss = appRssFigures(services.rssSamples, finalApp.pid, readyAt, startedAt + durationMs, durationMs);
  log(
    `traffic done: ${report.requests.length} requests, ${report.uploads.length} uploads; waiting for resync and the worker's jobs to drain`,
  );

  const settleStartedAt = Date.now();
  const drained = await waitUntilSettled(services.databaseUrl, DRAIN_WITHIN_MS);
  log(
    `${drained ? 'settled after' : 'still not settled after'} ${((Date.now() - settleStartedAt) / 1000).toFixed(1)} s`,
  );
  const s3 = makeS3Client(services.s3);
  soak.defer(async () => s3.destroy());
  const audit = () =>
    auditStorage({
      databaseUrl: services.databaseUrl,
      s3,
      bucket: services.bucket,
      localStorageDir: services.localStorageDir,
      uploads: report.uploads,
    });
  const beforeGc = await audit();
  // Objects a killed process or a failed delete left without a row are storage:gc's to remove;
  // after it, the audit runs again, so it also shows that gc removed nothing anybody uses.
  log(`storage audited: ${beforeGc.orphanObjects} objects without a row; running storage:gc --delete`);
  const graceWaitMs = waitBeforeGcMs(beforeGc.newestLeftoverAt, Date.now());
  if (graceWaitMs > 0) {
    log(`waiting ${(graceWaitMs / 1000).toFixed(1)} s: the newest leftover is younger than storage:gc's grace`);
    await setTimeout(graceWaitMs);
  }
  const gc = await runStorageGc(services.projectDir, services.cliEnv);
  const storage = {
    ...(await audit()),
    orphansBeforeGc: beforeGc.orphanObjects,
    incomingBeforeGc: beforeGc.incomingLeftovers,
    gcExitCode: gc,
  };
  const lines = storage.orphanSamples.length > 0 ? services.logLines() : [];
  for (const sample of storage.orphanSamples) {
    log(`left without a row after storage:gc: ${sample}`);
    // Who wrote it is in the app's and worker's last lines that name its owner's prefix ("avatars/u68-").
    const key = sample.split(' ')[0]!;
    const ownerPrefix = key.slice(0, key.indexOf('-') + 1) || key;
    for (const line of lines.filter((text) => text.includes(ownerPrefix)).slice(-8)) log(`  ${line}`);
  }
  log('loading every image on every page');
  const images = await auditPageImages(services.origin, storage.usernames, storage.videoIds, PAGE_AUDIT_WITHIN_MS);
  const logs = countLogLines(services.logLines());
  for (const line of logs.errors.slice(0, 10)) log(`error logged: ${line}`);

  const results = {
    minutes,
    database: services.databaseLabel,
    planned: plan,
    windows,
    requests: report.requests.map(expand),
    uploads: report.uploads,
    storage,
    images,
    logs,
    rss,
    drained,
    unplannedExits,
  };
  const verdicts = judgeSoak(results);
  console.log(formatSoakTable(results, verdicts));
  const failed = failedVerdicts(verdicts);
  // The scratch directory goes at exit; the app's and worker's lines are what explain a failure
  // (SOAK_KEEP_LOG=1 keeps them after a pass too, to compare).
  const kept = path.join(os.tmpdir(), `vv-soak-${Date.now()}.log`);
  if (failed.length > 0 || process.env.SOAK_KEEP_LOG === '1')
    await writeFile(kept, `${services.logLines().join('\n')}\n`);
  if (failed.length > 0) {
    process.exitCode = 1;
    log(
      `FAILED: ${failed.map((verdict) => verdict.invariant).join('; ')}; the app's and worker's log lines are in ${kept}`,
    );
  } else if (process.env.SOAK_KEEP_LOG === '1') log(`the app's and worker's log lines are in ${kept}`);
});
