/**
 * Where background work runs and how the outage store is bounded: WORKER (inline: `npm start`
 * runs the job runner inside the app, the default; external: a separate `npm run worker`
 * does, as render.yaml deploys it), JOB_LEASE_SECONDS, WORKER_CONCURRENCY,
 * STORAGE_GC_EVERY_HOURS, FALLBACK_MAX_FILE_MB and FALLBACK_MAX_TOTAL_MB.
 */
import os from 'node:os';
import type { EnvReaders } from './envReaders.ts';

export type WorkerPlacement = 'inline' | 'external';

export interface WorkerSettings {
  worker: WorkerPlacement;
  /** How long a claimed job stays ours without a heartbeat: a dead worker's job runs again after this. */
  jobLeaseSeconds: number;
  /** Jobs one worker process runs at once. */
  workerConcurrency: number;
  /** How often storage:gc runs as a job. */
  storageGcEveryHours: number;
  /** The outage store in PostgreSQL (files/fallbackBlobs.ts): per file and in total. */
  fallbackMaxFileBytes: number;
  fallbackMaxTotalBytes: number;
}

const MB = 1024 * 1024;

export function readWorkerSettings(
  { read, positiveInt }: EnvReaders,
  databaseUrl: string | undefined,
  problems: string[],
): WorkerSettings {
  const raw = read('WORKER')?.toLowerCase() ?? 'inline';
  let worker: WorkerPlacement = 'inline';
  if (raw === 'inline' || raw === 'external') worker = raw;
  else problems.push(`WORKER must be "inline" or "external" (got "${raw}")`);
  if (worker === 'external' && databaseUrl === undefined)
    problems.push(
      'WORKER=external needs DATABASE_URL: a separate worker process cannot open the embedded database. Leave WORKER unset and npm start runs the worker inside the app.',
    );
  const jobLeaseSeconds = positiveInt('JOB_LEASE_SECONDS', 30, 3600);
  if (jobLeaseSeconds < 2) problems.push(`JOB_LEASE_SECONDS must be at least 2 (got ${jobLeaseSeconds})`);
  const fallbackMaxFileBytes = positiveInt('FALLBACK_MAX_FILE_MB', 50, 5000) * MB;
  const fallbackMaxTotalBytes = positiveInt('FALLBACK_MAX_TOTAL_MB', 512, 100_000) * MB;
  if (fallbackMaxFileBytes > fallbackMaxTotalBytes)
    problems.push('FALLBACK_MAX_FILE_MB must not be more than FALLBACK_MAX_TOTAL_MB');
  return {
    worker,
    jobLeaseSeconds,
    workerConcurrency: positiveInt('WORKER_CONCURRENCY', worker === 'inline' ? 1 : os.availableParallelism(), 64),
    storageGcEveryHours: positiveInt('STORAGE_GC_EVERY_HOURS', 24, 24 * 30),
    fallbackMaxFileBytes,
    fallbackMaxTotalBytes,
  };
}
