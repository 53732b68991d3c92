/**
 * One app process under test with its members: started on a fresh bucket and database,
 * members signed up, warmed up with one upload each, idle RSS read before and after; then
 * its peak RSS over a burst of simultaneous uploads, and what it ended up storing.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { S3TestServer } from '../../test/support/s3Server.ts';
import { startAppProcess, type AppProcess } from './appProcess.ts';
import { createPublicBucket, listBucket } from './bucket.ts';
import { HttpMember } from './httpMember.ts';
import type { Photo } from './jpegs.ts';
import { log } from './log.ts';
import { idleRss, peakDuring } from './memoryPhases.ts';
import type { BenchOptions } from './options.ts';
import { runPool } from './pool.ts';
import { assertNoFailures, uploadRound, type UploadLedger } from './routeUploads.ts';
import { mib } from './stats.ts';
import type { DatabaseSection, MemoryFigures } from './table.ts';

const PROJECT_DIR = path.resolve(import.meta.dirname, '..', '..');
const MAX_IMAGE_MEGABYTES = 10;
const SIGNUP_CONCURRENCY = 4;

export interface AppRun {
  label: string;
  app: AppProcess;
  bucket: string;
  members: HttpMember[];
  ledger: UploadLedger;
  idle: { startRss: number; warmRss: number };
}

/** `defer` receives each cleanup step as soon as there is something to clean up. */
export async function startAppRun(
  label: string,
  setup: {
    s3: S3TestServer;
    photos: Photo[];
    options: BenchOptions;
    databaseUrl?: string;
    defer(step: () => Promise<unknown>): void;
  },
): Promise<AppRun> {
  const { s3, photos, options } = setup;
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'vv-bench-app-'));
  setup.defer(() => rm(workDir, { recursive: true, force: true }));
  const bucket = `bench-${randomBytes(5).toString('hex')}`;
  await createPublicBucket(s3, bucket);
  const app = await startAppProcess({
    projectDir: PROJECT_DIR,
    workDir,
    s3,
    bucket,
    databaseUrl: setup.databaseUrl,
    maxImageMegabytes: MAX_IMAGE_MEGABYTES,
    cpuProfileDir: process.env.BENCH_CPU_PROF_DIR,
    extraEnv: setup.options.appEnv,
  });
  setup.defer(() => app.stop());
  const startRss = await idleRss(app.pid);
  log(`${label}: app pid ${app.pid} at ${app.origin}, RSS at start ${mib(startRss)}`);

  const memberCount = Math.max(options.concurrency, options.burst);
  const prefix = randomBytes(3).toString('hex');
  const members: HttpMember[] = [];
  const signups = await runPool(memberCount, SIGNUP_CONCURRENCY, async (index) => {
    members[index] = await HttpMember.signUp(app.origin, `bench-${prefix}-${index}`);
  });
  assertNoFailures(`${label} sign-ups`, signups);

  const ledger: UploadLedger = new Map();
  const warmup = await uploadRound(members, photos, memberCount, Math.min(options.concurrency, memberCount), ledger);
  assertNoFailures(`${label} warm-up`, warmup);
  const warmRss = await idleRss(app.pid);
  log(`${label}: ${memberCount} members signed up and warmed up (one upload each), RSS ${mib(warmRss)}`);
  return { label, app, bucket, members, ledger, idle: { startRss, warmRss } };
}

/** `burst` uploads at once, one per member: the app's RSS just before (idle) and its peak over that burst alone. */
export async function measureBurstPeak(run: AppRun, photos: Photo[], burst: number): Promise<MemoryFigures> {
  const beforeBurstRss = await idleRss(run.app.pid);
  const peak = await peakDuring(run.app.pid, () => uploadRound(run.members, photos, burst, burst, run.ledger));
  assertNoFailures(`${run.label} burst of ${burst}`, peak.result);
  log(
    `${run.label}: ${burst} uploads at once, RSS before ${mib(beforeBurstRss)}, peak ${mib(peak.peakBytes)} (${peak.source}; highest sample ${mib(peak.sampledBytes)})`,
  );
  return { ...run.idle, beforeBurstRss, peak: peak.peakBytes, peakSource: peak.source };
}

/** Bucket bytes over the bytes of the photos the members' current avatars were made from. */
export async function measureStorage(s3: S3TestServer, run: AppRun): Promise<DatabaseSection['storage']> {
  const local = await readdir(path.join(run.app.localStorageDir, 'avatars')).catch(() => []);
  if (local.length > 0)
    throw new Error(
      `${local.length} files landed on local disk: some uploads fell back from S3, so the run is not what it claims`,
    );
  const contents = await listBucket(s3, run.bucket);
  const uploadedBytes = [...run.ledger.values()].reduce((total, bytes) => total + bytes, 0);
  return { storedBytes: contents.bytes, uploadedBytes, images: run.ledger.size, objects: contents.objects };
}

/** With LOG_LEVEL=warn a clean run logs nothing; anything it did log is worth seeing. */
export function reportAppLogs(run: AppRun): void {
  const lines = run.app.warnings();
  if (lines.length === 0) return;
  log(`${run.label}: the app logged ${lines.length} line(s) at warn level or above; first ones:`);
  for (const line of lines.slice(0, 5)) log(`  ${line.slice(0, 300)}`);
}
