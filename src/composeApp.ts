/**
 * Assembles the running app from configuration: database, storage adapters, image storage,
 * health monitor, sessions. server.ts and the tests both build the app through here, so the
 * tests exercise exactly the wiring production runs.
 */
import type { Express } from 'express';
import { createApp } from './app.js';
import type { AppConfig } from './config.js';
import { openDatabase, type AppDatabase } from './db/database.js';
import { DatabaseSessionStore } from './db/sessionStore.js';
import type { Logger } from './logger.js';
import { resolveSessionSecret } from './sessionSecret.js';
import { createImageJobQueue } from './images/imageJobQueue.js';
import { createImageStorage, type ImageStorage } from './storage/imageStorage.js';
import { createS3HealthMonitor, type S3HealthMonitor } from './storage/s3HealthMonitor.js';
import { adaptersFromConfig } from './storage/storageFromConfig.js';

export interface ComposedApp {
  app: Express;
  db: AppDatabase;
  imageStorage: ImageStorage;
  s3Health: S3HealthMonitor;
  /** Stops background timers and closes the database. */
  close(): Promise<void>;
}

export interface ComposeOptions {
  logger: Logger;
  /** Keep the embedded database in memory instead of under DATA_DIR (tests). */
  inMemoryDatabase?: boolean;
}

export async function composeApp(config: AppConfig, { logger, inMemoryDatabase = false }: ComposeOptions): Promise<ComposedApp> {
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: inMemoryDatabase ? undefined : config.dataDir });
  const { s3, local, imageOrigins } = adaptersFromConfig(config);
  const imageStorage = createImageStorage({
    db,
    s3,
    local,
    logger,
    placeholderUrl: (folder) => `/static/img/${folder}-placeholder.svg`,
    imageJobs: createImageJobQueue(),
    maxImagePixels: config.maxImagePixels,
  });
  const s3Health = createS3HealthMonitor(s3);
  const sessionStore = new DatabaseSessionStore(db);
  const sessionSecret = await resolveSessionSecret(config.sessionSecret, config.dataDir);
  const app = createApp({ config, db, imageStorage, s3Health, sessionStore, sessionSecret, logger, imageOrigins });
  return {
    app,
    db,
    imageStorage,
    s3Health,
    async close() {
      sessionStore.close();
      await db.destroy();
    },
  };
}
