/**
 * Runs one resync pass in its own process, for the kill tests: with CRASH_AT set it SIGKILLs
 * itself right after that step — no cleanup, no graceful anything, like a power cut. It
 * ignores leases, as `npm run storage:sync` does: the killed run's lease must not block the rerun
 * — unless HONOUR_LEASES=1, as the app's and the worker's background passes run.
 */
import { openDatabase } from '../../src/db/database.ts';
import { createLogger } from '../../src/logger.ts';
import { createLocalAdapter } from '../../src/storage/adapters/local.ts';
import { createResync, type ResyncStep } from '../../src/files/resync.ts';
import { s3AdapterFor } from '../../src/storage/storageFromConfig.ts';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const db = await openDatabase({ databaseUrl: process.env.DATABASE_URL, dataDir: process.env.PGLITE_DIR });
const s3 = s3AdapterFor({
  bucket: env('BUCKET'),
  region: 'us-east-1',
  endpoint: env('S3_ENDPOINT'),
  forcePathStyle: true,
  credentials: { accessKeyId: env('S3_ACCESS_KEY_ID'), secretAccessKey: env('S3_SECRET_ACCESS_KEY') },
});
const local = createLocalAdapter({ rootDir: env('LOCAL_DIR'), publicPath: '/static' });
const crashAt = process.env.CRASH_AT as ResyncStep | undefined;
const summary = await createResync({
  db,
  s3,
  local,
  logger: createLogger({ level: 'silent' }),
  onStep: (step) => {
    if (step === crashAt) process.kill(process.pid, 'SIGKILL');
  },
}).runPass({ ignoreLeases: process.env.HONOUR_LEASES !== '1' });
await db.destroy();
process.stdout.write(JSON.stringify(summary));
