/**
 * `npm run worker`: the background worker as its own process (render.yaml's `type: worker`
 * service, WORKER=external on the web service). It shares only the PostgreSQL database with
 * the web instances: jobs come through the `jobs` table, wake-ups through NOTIFY. On SIGTERM
 * (a deploy) it stops claiming, lets running jobs finish within SHUTDOWN_GRACE_SECONDS, hands
 * back what is still running so another worker takes it at once, and exits 0.
 */
import 'dotenv/config';
import { composeStorage } from './composeStorage.ts';
import { composeWorker } from './composeWorker.ts';
import { loadConfigOrExit } from './loadConfigOrExit.ts';
import { createChangeFeed } from './db/changeFeed.ts';
import { listenSourceFor, openDatabase } from './db/database.ts';
import { explainConnectionError } from './db/explainConnectionError.ts';
import { createLogger, wantsPrettyLogs } from './logger.ts';

const STATUS_EVERY_MS = 60_000;

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  if (!config.databaseUrl) {
    console.error(
      'npm run worker needs DATABASE_URL (PostgreSQL). On the embedded database, npm start runs the worker inside the app.',
    );
    process.exit(1);
  }
  const logger = createLogger({ level: config.logLevel, pretty: wantsPrettyLogs(config.env, process.stdout.isTTY) });
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: undefined }).catch((error: unknown) => {
    const sentence = config.databaseUrl && explainConnectionError(error, config.databaseUrl);
    if (!sentence) throw error;
    console.error(sentence);
    process.exit(1);
  });
  const changeFeed = await createChangeFeed({ source: listenSourceFor(db), logger });
  // The same storage as the web app's, its S3 requests counted for storage:usage too.
  const storage = composeStorage(config, { db, logger });
  const { resyncLoop, requestLedger } = storage;
  const worker = composeWorker({ config, db, changeFeed, storage, logger, mode: 'external' });
  await worker.start();
  requestLedger.start();
  // Files waiting in the outage store (and backup copies) go to S3 from here too, under the
  // outbox's leases beside the web instances; a new one wakes this loop at once (NOTIFY outbox).
  if (resyncLoop) {
    changeFeed.on('outbox', () => resyncLoop.kick());
    resyncLoop.start();
  }

  const status = setInterval(() => {
    void worker.queue
      .summary()
      .then((summary) =>
        logger.info(
          { jobs: summary },
          `worker: ${summary.waiting} job(s) waiting (oldest ${summary.oldestWaitingSeconds} s), ${summary.running} running, ${summary.failed} failed`,
        ),
      )
      .catch(() => undefined);
  }, STATUS_EVERY_MS);
  status.unref();

  const shutdown = (signal: string) => {
    const deadline = Date.now() + config.shutdownGraceMs;
    logger.info(`${signal} received: finishing the jobs in hand, handing back what cannot finish in time`);
    const force = setTimeout(() => {
      logger.warn('Shutdown grace period over; exiting with work unfinished');
      process.exit(1);
    }, config.shutdownGraceMs + 2_000);
    force.unref();
    void (async () => {
      await worker.stop(deadline - 3_000);
      await resyncLoop?.drain(deadline - 1_000);
      await requestLedger.stop();
      await changeFeed.close();
      await db.destroy();
      logger.info('Worker shut down cleanly');
      process.exit(0);
    })();
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error('The VideoVote worker failed to start:', error);
  process.exit(1);
});
