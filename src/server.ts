/**
 * Starts VideoVote: load config, compose the app, listen, and shut down cleanly on SIGTERM
 * (how Render stops an instance) — stop accepting, let in-flight requests finish, then
 * close the database.
 */
import 'dotenv/config';
import { composeApp } from './composeApp.js';
import { ConfigError, describeConfig, loadConfig, type AppConfig } from './config.js';
import { createLogger } from './logger.js';

const SHUTDOWN_GRACE_MS = 25_000;

function loadConfigOrExit(): AppConfig {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger({ level: config.logLevel });
  logger.info({ config: describeConfig(config) }, 'Starting VideoVote');

  const { app, s3Health, close } = await composeApp(config, { logger });
  void s3Health.refresh().then((status) => {
    if (status.configured && !status.reachable) {
      logger.warn('S3 is configured but not answering; images will be stored locally. Run `npm run storage:check` for the cause.');
    }
  });

  const server = app.listen(config.port, () => logger.info(`VideoVote is listening on http://localhost:${config.port}`));

  const shutdown = (signal: string) => {
    logger.info(`${signal} received: finishing in-flight requests`);
    const force = setTimeout(() => {
      logger.warn('Shutdown grace period over; exiting with requests still open');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    server.close(async () => {
      await close();
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
