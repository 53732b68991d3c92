/**
 * The storage a process runs on, built from configuration the same way for the web app
 * (composeApp.ts) and the worker (worker.ts): S3 behind its circuit breaker with every request
 * counted for storage:usage, local disk, the backup bucket, the outage store in PostgreSQL, and
 * the resync loop that moves what the outage store and local disk hold to S3 once it answers.
 * Nothing here starts: the caller starts the loop and the ledger when it is ready to work.
 */
import type { AppConfig } from './config.ts';
import type { AppDatabase } from './db/database.ts';
import { createDatabaseBlobAdapter, type DatabaseBlobAdapter } from './files/fallbackBlobs.ts';
import { createRequestLedger, type RequestLedger } from './files/requestLedger.ts';
import { createResync } from './files/resync.ts';
import { createResyncLoop, type ResyncLoop } from './files/resyncLoop.ts';
import type { Logger } from './logger.ts';
import type { StorageAdapter } from './storage/contract.ts';
import { adaptersFromConfig, type ConfiguredAdapters } from './storage/storageFromConfig.ts';

export interface ComposedStorage extends ConfiguredAdapters {
  /** Undefined on the embedded database or without S3: fallback writes go to local disk then. */
  outageStore: DatabaseBlobAdapter | undefined;
  /** Undefined when S3 is not configured: there is nowhere to resync to. */
  resyncLoop: ResyncLoop | undefined;
  /** The S3 requests this process makes, recorded for storage:usage. */
  requestLedger: RequestLedger;
}

export interface ComposeStorageOptions {
  db: AppDatabase;
  /** Where the request ledger writes; the app passes its unwatched handle so counting reloads no cache. */
  ledgerDb?: AppDatabase;
  logger: Logger;
  /** Circuit-breaker cool-down; tests shorten it. */
  breakerCooldownMs?: number;
  /** Wraps the configured local adapter (the app: disk-full reporting; tests: a disk that is full). */
  adaptLocal?: (configured: StorageAdapter) => StorageAdapter;
}

export function composeStorage(
  config: AppConfig,
  { db, ledgerDb = db, logger, breakerCooldownMs, adaptLocal = (local) => local }: ComposeStorageOptions,
): ComposedStorage {
  let resyncLoop: ResyncLoop | undefined;
  const requestLedger = createRequestLedger({ db: ledgerDb, logger });
  // Where uploads go while the breaker is open: the outage store below, or this instance's disk.
  const fallbackPlace = config.databaseUrl ? 'the outage store in PostgreSQL' : 'local disk';
  const adapters = adaptersFromConfig(
    config,
    {
      cooldownMs: breakerCooldownMs,
      onStateChange(state, failure) {
        if (state === 'open')
          logger.warn(
            { s3ErrorCode: failure?.code },
            `S3 circuit breaker opened (${failure?.code}): uploads go straight to ${fallbackPlace} for now`,
          );
        if (state === 'closed') {
          logger.info('S3 answers again: circuit breaker closed; moving pending images to S3');
          resyncLoop?.kick();
        }
      },
    },
    requestLedger.count,
  );
  const { s3, backup } = adapters;
  const local = adaptLocal(adapters.local);
  // On PostgreSQL with S3, what S3 cannot take during an outage is kept in the database, which
  // every instance reads and which outlives any instance's disk; otherwise local disk, as before.
  const outageStore =
    config.databaseUrl && s3
      ? createDatabaseBlobAdapter({
          db,
          maxFileBytes: config.fallbackMaxFileBytes,
          maxTotalBytes: config.fallbackMaxTotalBytes,
        })
      : undefined;
  if (s3) {
    // On PostgreSQL several processes share the rows but not their disks: a local file missing
    // here may be on another instance's disk, so it is retried, never marked lost.
    const localDiskIsPrivate = config.databaseUrl !== undefined;
    const resync = createResync({ db, s3, local, backup, outageStore, localDiskIsPrivate, logger });
    resyncLoop = createResyncLoop({
      runPass: resync.runPass,
      s3Usable: () => s3.breakerStatus().state !== 'open',
      probe: () => s3.isAvailable(),
      intervalMs: config.resyncIntervalMs,
      logger,
    });
  }
  return { ...adapters, local, outageStore, resyncLoop, requestLedger };
}
