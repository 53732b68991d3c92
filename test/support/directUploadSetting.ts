/**
 * What the direct-upload tests stand on: an in-memory database (or PostgreSQL) with two members, a fresh
 * bucket on the shared S3 server behind the circuit breaker, local disk, and image storage
 * wired as composeApp wires it.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, type AppDatabase } from '../../src/db/database.ts';
import { createImageJobQueue } from '../../src/images/imageJobQueue.ts';
import type { Logger } from '../../src/logger.ts';
import { createLocalAdapter } from '../../src/storage/adapters/local.ts';
import { withCircuitBreaker, type GuardedAdapter } from '../../src/storage/circuitBreaker.ts';
import { createImageStorage, type ImageStorage } from '../../src/files/imageStorage.ts';
import { s3AdapterFor } from '../../src/storage/storageFromConfig.ts';
import { captureLogs } from './captureLogs.ts';
import { createBucket, s3SettingsFor, type S3Connection } from './s3Server.ts';

export interface DirectUploadSetting {
  db: AppDatabase;
  bucket: string;
  settings: ReturnType<typeof s3SettingsFor>;
  s3: GuardedAdapter;
  imageStorage: ImageStorage;
  logger: Logger;
  alice: number;
  bob: number;
  close(): Promise<void>;
}

/** `databaseUrl`: an empty PostgreSQL database instead of the in-memory embedded one. */
export async function openDirectUploadSetting(
  server: S3Connection,
  bucketPrefix: string,
  databaseUrl?: string,
): Promise<DirectUploadSetting> {
  const db = await openDatabase({ databaseUrl, dataDir: undefined });
  const bucket = `${bucketPrefix}-${randomBytes(4).toString('hex')}`;
  await createBucket(server, bucket);
  const localDir = await fs.mkdtemp(path.join(os.tmpdir(), `vv-${bucketPrefix}-`));
  const settings = s3SettingsFor(server, bucket);
  const s3 = withCircuitBreaker(s3AdapterFor(settings));
  const logger = captureLogs().logger;
  const local = createLocalAdapter({ rootDir: localDir, publicPath: '/static' });
  const imageStorage = createImageStorage({
    db,
    s3,
    local,
    logger,
    placeholderUrl: () => '',
    imageJobs: createImageJobQueue(2),
    maxImagePixels: 40e6,
  });
  const users = await db
    .insertInto('users')
    .values([
      { username: 'alice', password_hash: 'x' },
      { username: 'bob', password_hash: 'x' },
    ])
    .returning('id')
    .execute();
  return {
    db,
    bucket,
    settings,
    s3,
    imageStorage,
    logger,
    alice: users[0]!.id,
    bob: users[1]!.id,
    async close() {
      await db.destroy();
      await fs.rm(localDir, { recursive: true, force: true });
    },
  };
}
