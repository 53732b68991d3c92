/**
 * The worker as src/worker.ts composes it, in its own process, for the kill tests, plus one
 * test job kind, `test-effect`: it writes one row to `job_effects` and finishes the job in
 * the same transaction, with named steps around it. CRASH_AT=<step> SIGKILLs the process at
 * that step (no cleanup, like a power cut); PAUSE_AT=<step> prints "paused <step>" and waits
 * forever there (for SIGTERM). Prints "ready" once it takes jobs.
 */
import { sql } from 'kysely';
import { composeWorker } from '../../src/composeWorker.ts';
import { loadConfig } from '../../src/config.ts';
import { createChangeFeed } from '../../src/db/changeFeed.ts';
import { listenSourceFor, openDatabase } from '../../src/db/database.ts';
import type { JobHandler } from '../../src/jobs/jobRunner.ts';
import { createLogger } from '../../src/logger.ts';
import { adaptersFromConfig } from '../../src/storage/storageFromConfig.ts';

const config = loadConfig();
const logger = createLogger({ level: 'warn' });
const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: undefined });
const changeFeed = await createChangeFeed({ source: listenSourceFor(db), logger });
const { s3, local } = adaptersFromConfig(config);

const testEffect: JobHandler<{ note: string }> = {
  kind: 'test-effect',
  async run(job, ctx) {
    await ctx.step('started');
    await db.transaction().execute(async (trx) => {
      await sql`insert into job_effects (job_id, note, worker) values (${job.id}, ${job.payload.note}, ${process.pid})`.execute(
        trx,
      );
      await ctx.step('written');
      await ctx.complete(trx);
    });
    await ctx.step('committed');
  },
};

const worker = composeWorker({
  config,
  db,
  changeFeed,
  s3,
  local,
  logger,
  mode: 'external',
  extraHandlers: [testEffect as JobHandler],
  pollMs: 500,
  async onStep(step) {
    if (step === process.env.CRASH_AT) process.kill(process.pid, 'SIGKILL');
    if (step === process.env.PAUSE_AT) {
      process.stdout.write(`paused ${step}\n`);
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
