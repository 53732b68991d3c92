/**
 * The storage adapters for an operator command, with the requests it sends to S3 recorded in
 * storage_requests like the app's own (a backfill or a migration is part of the month's bill).
 * They are written when withDatabase closes the database.
 */
import type { AppConfig } from '../config.ts';
import type { AppDatabase } from '../db/database.ts';
import { createRequestLedger } from '../files/requestLedger.ts';
import { createLogger } from '../logger.ts';
import { adaptersFromConfig, type ConfiguredAdapters } from '../storage/storageFromConfig.ts';
import { beforeClosing } from './runCommand.ts';

export function countedAdaptersFor(config: AppConfig, db: AppDatabase): ConfiguredAdapters {
  const ledger = createRequestLedger({ db, logger: createLogger({ level: 'error' }) });
  beforeClosing(db, () => ledger.stop());
  return adaptersFromConfig(config, {}, ledger.count);
}
