/**
 * The worker as src/worker.ts composes it, in its own process, for the kill tests: the real
 * handlers, the direct-image job among them (it needs the S3 variables). CRASH_AT=<kind>:<step>
 * SIGKILLs the process at that named step of a job of that kind (no cleanup, like a power
 * cut), e.g. direct-image:written (variants in the bucket, not committed) or
 * direct-image:committed; PAUSE_AT=<kind>:<step> prints "paused <kind>:<step>" and waits
 * forever there (for SIGTERM). Prints "ready" once it takes jobs.
 */
import { composeStorage } from '../../src/composeStorage.ts';
import { composeWorker } from '../../src/composeWorker.ts';
import { loadConfig } from '../../src/config.ts';
import { createChangeFeed } from '../../src/db/changeFeed.ts';
import { listenSourceFor, openDatabase } from '../../src/db/database.ts';
import { createLogger } from '../../src/logger.ts';

const config = loadConfig();
const logger = createLogger({ level: 'warn' });
const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: undefined });
const changeFeed = await createChangeFeed({ source: listenSourceFor(db), logger });
// As src/worker.ts builds it (the resync loop is not started: these tests kill jobs, not copies).
const storage = composeStorage(config, { db, logger });

const worker = composeWorker({
  config,
  db,
  changeFeed,
  storage,
  logger,
  mode: 'external',
  pollMs: 500,
  async onStep(step, job) {
    const named = `${job.kind}:${step}`;
    if (named === process.env.CRASH_AT) process.kill(process.pid, 'SIGKILL');
    if (named === process.env.PAUSE_AT) {
      process.stdout.write(`paused ${named}\n`);
      await new Promise(() => undefined);
    }
  },
});
await worker.start();
process.stdout.write('ready\n');

process.once('SIGTERM', () => {
  void (async () => {
    await worker.stop(Date.now() + config.shutdownGraceMs);
    await changeFeed.close();
    await db.destroy();
    process.stdout.write('stopped\n');
    process.exit(0);
  })();
});
