/**
 * Starts VideoVote: load config, open the database, build the app, listen, and shut down
 * cleanly on SIGTERM (how Render stops an instance) — stop accepting, let in-flight
 * requests finish, then close the database.
 */
import 'dotenv/config';
import { createApp } from './app.js';
import { ConfigError, describeConfig, loadConfig } from './config.js';
import { openDatabase } from './db/database.js';
import { DatabaseSessionStore } from './db/sessionStore.js';
import { createLogger } from './logger.js';
import { resolveSessionSecret } from './sessionSecret.js';
import { createImageStorage } from './storage/imageStorage.js';
import { createS3HealthMonitor } from './storage/s3HealthMonitor.js';
import { adaptersFromConfig } from './storage/storageFromConfig.js';

const SHUTDOWN_GRACE_MS = 25_000;

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel });
  logger.info({ config: describeConfig(config) }, 'Starting VideoVote');

  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const { s3, local, imageOrigins } = adaptersFromConfig(config);
  const imageStorage = createImageStorage({ db, s3, local, logger, placeholderUrl: (folder) => `/static/img/${folder}-placeholder.svg` });
  const s3Health = createS3HealthMonitor(s3);
  void s3Health.refresh().then((status) => {
    if (status.configured && !status.reachable) {
      logger.warn('S3 is configured but not answering; images will be stored locally. Run `npm run storage:check` for the cause.');
    }
  });
  const sessionStore = new DatabaseSessionStore(db);
  const sessionSecret = await resolveSessionSecret(config.sessionSecret, config.dataDir);

  const app = createApp({ config, db, imageStorage, s3Health, sessionStore, sessionSecret, logger, imageOrigins });
  const server = app.listen(config.port, () => logger.info(`VideoVote is listening on http://localhost:${config.port}`));

  const shutdown = (signal: string) => {
    logger.info(`${signal} received: finishing in-flight requests`);
    const force = setTimeout(() => {
      logger.warn('Shutdown grace period over; exiting with requests still open');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    server.close(async () => {
      sessionStore.close();
      await db.destroy();
      logger.info('Shut down cleanly');
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error('VideoVote failed to start:', error);
  process.exit(1);
});
