/**
 * Assembles the running app from configuration: database, storage adapters (S3 behind its
 * circuit breaker, local disk, the backup bucket), image storage, the resync loop, health,
 * sessions. server.ts and the tests both build the app through here, so the tests exercise
 * exactly the wiring production runs.
 */
import os from 'node:os';
import type { Express } from 'express';
import { createApp } from './app.ts';
import { type ComposedWorker, composeWorker } from './composeWorker.ts';
import { createJobQueue } from './jobs/jobQueue.ts';
import { createJobsHealth } from './jobs/jobsHealth.ts';
import type { AppConfig } from './config.ts';
import { type ChangeFeed, createChangeFeed } from './db/changeFeed.ts';
import { listenSourceFor, openDatabase, type AppDatabase } from './db/database.ts';
import { DatabaseSessionStore } from './db/sessionStore.ts';
import { createWriteWatcher } from './db/writeWatcher.ts';
import { createDatabaseRateLimitStores } from './web/databaseRateLimitStore.ts';
import { createDirectUploads } from './uploads/directImageUploads.ts';
import { createDirectVideoUploads } from './uploads/directVideoUploads.ts';
import { createUploadQuota } from './files/uploadQuota.ts';
import type { Logger } from './logger.ts';
import { resolveSessionSecret } from './sessionSecret.ts';
import { createEarlyVideoUploads } from './files/earlyVideoUpload.ts';
import type { ImageStorage } from './files/imageStorage.ts';
import { composeImageStorage } from './files/composeImageStorage.ts';
import { reconcileLocalFiles } from './files/lostFiles.ts';
import type { ResyncLoop } from './files/resyncLoop.ts';
import type { RequestLedger } from './files/requestLedger.ts';
import { composeStorage } from './composeStorage.ts';
import { createStorageHealth, type StorageHealth } from './files/storageHealth.ts';
import { createDiskSpace, reportingDiskFull } from './files/diskSpace.ts';
import type { StorageAdapter } from './storage/contract.ts';
import { queueBackupBackfillAndSay } from './files/backupBackfill.ts';
import { createPublicReadProbe } from './files/publicReadProbe.ts';
import { bucketBaseUrlFor, multipartUploadsFor, postSignerFor } from './storage/storageFromConfig.ts';

export interface ComposedApp {
  app: Express;
  db: AppDatabase;
  imageStorage: ImageStorage;
  storageHealth: StorageHealth;
  /** Changes made by other processes (NOTIFY); the worker's wake-up listens here too. */
  changeFeed: ChangeFeed;
  /** Undefined when S3 is not configured: there is nowhere to resync to. */
  resyncLoop: ResyncLoop | undefined;
  /** The job runner inside this process (WORKER=inline); undefined when a separate worker runs it. */
  worker: ComposedWorker | undefined;
  /** The S3 requests the app makes, recorded for storage:usage. */
  requestLedger: RequestLedger;
  /** Starts background work: the boot check for lost local files, resync, health probes, the inline worker. */
  startBackgroundWork(): Promise<void>;
  /** Stops background timers and closes the database. */
  close(): Promise<void>;
}

export interface ComposeOptions {
  logger: Logger;
  /** Keep the embedded database in memory instead of under DATA_DIR (tests). */
  inMemoryDatabase?: boolean;
  /** Circuit-breaker cool-down; tests shorten it. */
  breakerCooldownMs?: number;
  /** The local-disk adapter instead of the one the config describes (tests: one whose writes hit a full disk). */
  localAdapter?: StorageAdapter;
}

export async function composeApp(
  config: AppConfig,
  { logger, inMemoryDatabase = false, breakerCooldownMs, localAdapter }: ComposeOptions,
): Promise<ComposedApp> {
  const writeWatcher = createWriteWatcher();
  const unwatchedDb = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: inMemoryDatabase ? undefined : config.dataDir,
  });
  const db = unwatchedDb.withPlugin(writeWatcher.plugin);
  // Other instances' and the worker's writes, heard through NOTIFY (db/changeFeed.ts).
  const changeFeed = await createChangeFeed({ source: listenSourceFor(unwatchedDb), logger });
  const diskSpace = createDiskSpace({
    directories: [
      { dir: config.localStorageDir, setting: 'LOCAL_STORAGE_DIR' },
      { dir: config.uploadTempDir, setting: 'UPLOAD_TEMP_DIR' },
    ],
  });
  const uploadQuota = createUploadQuota({ db, dailyBytes: config.dailyUploadBytes });
  const storage = composeStorage(config, {
    db,
    ledgerDb: unwatchedDb,
    logger,
    breakerCooldownMs,
    adaptLocal: (configured) => reportingDiskFull(localAdapter ?? configured, config.localStorageDir, diskSpace),
  });
  const { s3, local, backup, imageOrigins, mediaOrigins, delivery, outageStore, resyncLoop, requestLedger } = storage;
  // Every path that stores an upload goes through this one object, so each is logged and counted once.
  const imageStorage = composeImageStorage({
    db,
    s3,
    local,
    backup,
    logger,
    maxImagePixels: config.maxImagePixels,
    delivery,
    quota: uploadQuota,
    outageStore,
    outageStoreMaxFileBytes: config.fallbackMaxFileBytes,
  });
  const sign = config.s3 ? postSignerFor(config.s3) : undefined;
  const instance = `${os.hostname()}:${process.pid}`;
  // For /healthz's job figures when no worker runs in this process.
  const jobQueue = createJobQueue({ db, workerId: instance, leaseSeconds: config.jobLeaseSeconds });
  const directUploads =
    s3 && sign ? createDirectUploads({ db, s3, logger, maxImageBytes: config.maxImageBytes, sign }) : undefined;
  const videoParts = config.s3 ? multipartUploadsFor(config.s3) : undefined;
  const directVideoUploads =
    s3 && videoParts
      ? createDirectVideoUploads({
          db,
          s3,
          ...videoParts,
          imageStorage,
          logger,
          maxVideoBytes: config.maxVideoBytes,
          maxImageBytes: config.maxImageBytes,
        })
      : undefined;
  const storageHealth = createStorageHealth({
    db,
    s3,
    backupConfigured: backup !== undefined,
    logger,
    bucket: config.s3?.bucket,
    delivery,
    publicRead: s3 ? createPublicReadProbe({ db, s3, delivery }) : undefined,
    slowAfterMs: config.s3SlowAfterMs,
    diskSpace,
  });
  // Sessions are touched on nearly every request and no cached read model shows them, so their
  // writes bypass the write watcher rather than being filtered out by it.
  const sessionStore = new DatabaseSessionStore(unwatchedDb);
  // Rate limits and throttles too: a wrong password must not reload the front page's cache.
  const rateLimits = createDatabaseRateLimitStores(unwatchedDb);
  const sessionSecret = await resolveSessionSecret(config.sessionSecret, config.dataDir);
  const worker =
    config.worker === 'inline'
      ? composeWorker({ config, db, changeFeed, storage, imageStorage, logger, mode: 'inline' })
      : undefined;
  const jobsHealth = createJobsHealth({ db, queue: worker?.queue ?? jobQueue });
  const app = createApp({
    config,
    db,
    imageStorage,
    storageHealth,
    sessionStore,
    sessionSecret,
    logger,
    uploadQuota,
    imageOrigins,
    mediaOrigins,
    delivery,
    directUploads,
    directVideoUploads,
    uploadOrigin: config.s3 ? new URL(bucketBaseUrlFor(config.s3)).origin : undefined,
    // This process's own writes at once (no race with the response), everyone else's on NOTIFY.
    writeGeneration: () => writeWatcher.generation() + changeFeed.generation(),
    rateLimitStore: rateLimits.storeFor,
    jobsHealth,
    instance,
    outageStore,
    startEarlyVideoUpload: createEarlyVideoUploads({ s3, logger }),
  });
  return {
    app,
    db,
    imageStorage,
    storageHealth,
    changeFeed,
    resyncLoop,
    worker,
    requestLedger,
    async startBackgroundWork() {
      await reconcileLocalFiles(db, local, logger);
      if (backup) await queueBackupBackfillAndSay(db, logger);
      storageHealth.start();
      requestLedger.start();
      const report = await storageHealth.refresh();
      if (report.status === 'degraded') logger.warn({ reasons: report.reasons }, 'Storage is degraded at start-up');
      resyncLoop?.start();
      await worker?.start();
    },
    async close() {
      // server.ts stops the worker first with its grace deadline; here whatever is left goes back at once.
      await worker?.stop(Date.now());
      storageHealth.stop();
      await resyncLoop?.drain(0);
      await requestLedger.stop();
      sessionStore.close();
      rateLimits.close();
      await changeFeed.close();
      await db.destroy();
    },
  };
}
