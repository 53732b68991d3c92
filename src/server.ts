/**
 * Starts VideoVote: load config, compose the app, listen, and shut down cleanly on SIGTERM
 * (how Render stops an instance) — stop accepting, let in-flight requests finish, push images
 * still waiting on local disk to S3 within the grace period, then close the database.
 */
import 'dotenv/config';
import { composeApp } from './composeApp.ts';
import { describeConfig } from './config.ts';
import { loadConfigOrExit } from './loadConfigOrExit.ts';
import { explainConnectionError } from './db/explainConnectionError.ts';
import { EmbeddedDatabaseUnusableError } from './db/embeddedDatabaseUnusable.ts';
import { createLogger, wantsPrettyLogs } from './logger.ts';
import { closeKeptAliveConnections } from './web/closeKeptAliveConnections.ts';
import { applyServerTimeouts } from './web/serverTimeouts.ts';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger({
    level: config.logLevel,
    pretty: wantsPrettyLogs(config.env, process.stdout.isTTY === true),
  });
  logger.info({ config: describeConfig(config) }, 'Starting VideoVote');

  const { app, resyncLoop, worker, startBackgroundWork, close } = await composeApp(config, { logger }).catch(
    (error: unknown) => {
      // An unreachable or unusable database is an operator's fix, said in one sentence; anything else keeps its stack.
      const sentence =
        error instanceof EmbeddedDatabaseUnusableError
          ? error.message
          : config.databaseUrl && explainConnectionError(error, config.databaseUrl);
      if (!sentence) throw error;
      console.error(sentence);
      process.exit(1);
    },
  );
  // Express 5 hands listen errors (port in use, no permission) to this callback.
  const server = app.listen(config.port, config.host ?? '::', (error?: Error) => {
    if (error) {
      logger.fatal({ err: error }, `Could not listen on port ${config.port}: ${error.message}`);
      process.exit(1);
    }
    logger.info(`VideoVote is listening on http://${config.host ?? 'localhost'}:${config.port}`);
  });
  applyServerTimeouts(server, config, logger);
  void startBackgroundWork().catch((error: unknown) =>
    logger.error({ err: error }, 'Background storage work failed to start'),
  );

  const shutdown = (signal: string) => {
    const deadline = Date.now() + config.shutdownGraceMs;
    logger.info(
      resyncLoop
        ? `${signal} received: finishing in-flight requests, then pushing pending images to S3`
        : `${signal} received: finishing in-flight requests, then closing the database`,
    );
    const force = setTimeout(() => {
      logger.warn('Shutdown grace period over; exiting with work unfinished');
      process.exit(1);
    }, config.shutdownGraceMs + 2_000);
    force.unref();
    server.close(async () => {
      // The inline worker finishes or hands back its jobs first; then the last resync pass.
      await worker?.stop(deadline - 3_000);
      // Leave a little of the grace period for closing the database.
      const summary = await resyncLoop?.drain(deadline - 1_000);
      if (summary) logger.info(`Before exit: ${summary.moved} image(s) moved to S3, ${summary.failed} still pending`);
      await close();
      logger.info('Shut down cleanly');
      process.exit(0);
    });
    closeKeptAliveConnections(server);
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error('VideoVote failed to start:', error);
  process.exit(1);
});
