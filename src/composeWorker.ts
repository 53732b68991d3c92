/**
 * Assembles the job runner: the queue, the handlers each feature registers, the periodic
 * schedule, the wake-up on NOTIFY `jobs`, and the worker's liveness row. composeApp runs it
 * inside the app when WORKER=inline (the default: `npm start` is one process, as on the
 * embedded database it must be); src/worker.ts runs it as its own process when
 * WORKER=external (render.yaml's background worker), sharing only the database.
 */
import type { AppConfig } from './config.ts';
import type { ChangeFeed } from './db/changeFeed.ts';
import type { AppDatabase } from './db/database.ts';
import { createFallbackWriter } from './storage/fallbackWriter.ts';
import { ensureRegenerationQueued, regenerateImagesJob, STORAGE_GC_JOB, storageGcJob } from './files/storageJobs.ts';
import { createJobQueue, type ClaimedJob, type JobQueue } from './jobs/jobQueue.ts';
import { createJobRunner, type JobHandler } from './jobs/jobRunner.ts';
import { createJobSchedule } from './jobs/jobSchedule.ts';
import { createJobWake } from './jobs/jobWake.ts';
import { createWorkerRegistry, newWorkerId, type WorkerMode } from './jobs/workerRegistry.ts';
import type { Logger } from './logger.ts';
import type { ComposedStorage } from './composeStorage.ts';
import { multipartStoreFor } from './storage/storageFromConfig.ts';
import { composeImageStorage } from './files/composeImageStorage.ts';
import type { ImageStorage } from './files/imageStorage.ts';
import { createUploadQuota } from './files/uploadQuota.ts';
import { directImageJob } from './uploads/processDirectImage.ts';

const SCHEDULE_EVERY_MS = 60_000;

/**
 * The stores a worker works on, handed over whole as composeStorage assembled them, so the app
 * (WORKER=inline), src/worker.ts and the crash tests' worker cannot wire them differently. The
 * outage store is there when DATABASE_URL and S3 are both set; the backup bucket and URL modes
 * serve the image storage the worker builds when it is not given the app's.
 */
export type WorkerStorage = Pick<ComposedStorage, 's3' | 'local' | 'outageStore' | 'backup' | 'delivery'>;

export interface WorkerParts {
  config: Pick<
    AppConfig,
    | 's3'
    | 'jobLeaseSeconds'
    | 'workerConcurrency'
    | 'storageGcEveryHours'
    | 'maxImagePixels'
    | 'dailyUploadBytes'
    | 'fallbackMaxFileBytes'
  >;
  db: AppDatabase;
  changeFeed: ChangeFeed;
  storage: WorkerStorage;
  /** The app's own files service (WORKER=inline); a separate worker builds one the same way (composeImageStorage). */
  imageStorage?: ImageStorage;
  logger: Logger;
  mode: WorkerMode;
  /** Handlers from features that need the app's own services (e.g. direct-image uploads). */
  extraHandlers?: JobHandler[];
  /** Named points inside handlers, for crash tests. */
  onStep?: (step: string, job: ClaimedJob) => Promise<void>;
  /** How often an idle slot looks for work when no NOTIFY came; tests shorten it. */
  pollMs?: number;
}

export interface ComposedWorker {
  id: string;
  queue: JobQueue;
  start(): Promise<void>;
  /** Stops claiming, lets running jobs finish until shortly before `deadline`, releases the rest. */
  stop(deadline: number): Promise<void>;
}

export function composeWorker(parts: WorkerParts): ComposedWorker {
  const { config, db, changeFeed, logger, mode } = parts;
  const { s3, local, outageStore, backup, delivery } = parts.storage;
  const id = newWorkerId();
  const queue = createJobQueue({ db, workerId: id, leaseSeconds: config.jobLeaseSeconds });
  const wake = createJobWake();
  // Direct uploads go to S3 only, so their images are processed only where S3 is configured.
  const imageStorage =
    s3 &&
    (parts.imageStorage ??
      composeImageStorage({
        db,
        s3,
        local,
        backup,
        logger,
        maxImagePixels: config.maxImagePixels,
        delivery,
        quota: createUploadQuota({ db, dailyBytes: config.dailyUploadBytes }),
        outageStore,
        outageStoreMaxFileBytes: config.fallbackMaxFileBytes,
      }));
  const handlers: JobHandler[] = [
    storageGcJob({
      db,
      // The outage store too: a blob whose row was never written (the database went away between the two) is garbage.
      adapters: s3 ? [s3, local, ...(outageStore ? [outageStore] : [])] : [local],
      multipart: config.s3 ? multipartStoreFor(config.s3) : undefined,
      outageStore,
      logger,
    }),
    regenerateImagesJob({
      db,
      queue,
      adapterFor: (location) => (location === 's3' ? s3 : local),
      writeObjects: createFallbackWriter({ s3, local, logger }),
      limits: { maxPixels: config.maxImagePixels },
      logger,
    }),
    ...(s3 && imageStorage ? [directImageJob({ db, s3, imageStorage, logger }) as JobHandler] : []),
    ...(parts.extraHandlers ?? []),
  ];
  const runner = createJobRunner({
    queue,
    db,
    handlers,
    concurrency: config.workerConcurrency,
    wake,
    logger,
    pollMs: parts.pollMs,
    onStep: parts.onStep,
  });
  const schedule = createJobSchedule({
    db,
    queue,
    periodic: [{ kind: STORAGE_GC_JOB, everyMs: config.storageGcEveryHours * 3_600_000 }],
  });
  const registry = createWorkerRegistry({ db, id, mode });
  const warn = (what: string) => (error: unknown) => logger.warn({ err: error }, what);
  let scheduleTimer: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;

  const tick = async () => {
    await schedule.tick();
    await ensureRegenerationQueued(db, queue);
  };

  return {
    id,
    queue,
    async start() {
      await registry.start(warn('could not renew the worker row'));
      unsubscribe = changeFeed.on('jobs', () => wake.notify());
      runner.start();
      // The first tick comes one interval after start, so a restart loop never runs gc in a loop.
      scheduleTimer = setInterval(() => void tick().catch(warn('job schedule tick failed')), SCHEDULE_EVERY_MS);
      scheduleTimer.unref();
      logger.info({ worker: id, mode }, `worker ${id} (${mode}) is taking jobs`);
    },
    async stop(deadline) {
      clearInterval(scheduleTimer);
      unsubscribe?.();
      await runner.stop(deadline);
      await registry.stop().catch(warn('could not remove the worker row'));
    },
  };
}
