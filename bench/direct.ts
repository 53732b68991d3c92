/**
 * bench:direct — what an avatar upload costs the web app in CPU when the browser sends the file
 * straight to S3 (presign, signed POST to the bucket, finalize, status polls until stored),
 * against the same photo through the form route (POST /profile/avatar). It runs as Render
 * does with a worker: on PostgreSQL (BENCH_DATABASE_URL), the web app with WORKER=external and
 * `npm run worker` beside it, both metered from /proc. Finalize only sniffs the first bytes and
 * queues the job; the worker runs the pipeline, and its CPU is printed beside the web app's.
 * Both sides run against the same processes, on the same photos, in the same rounds,
 * alternating. See bench/README.md for what each figure means.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { makeS3Client, startS3Server, type S3Connection } from '../test/support/s3Server.ts';
import { sql } from 'kysely';
import { openDatabase } from '../src/db/database.ts';
import { reportAppLogs, startAppRun } from './support/appRun.ts';
import { createBenchDatabase } from './support/benchDatabase.ts';
import { startWorkerProcess } from './support/directWorker.ts';
import { findChildPid } from './support/cpuTime.ts';
import { closeBucketConnections } from './support/directClient.ts';
import { createRounds, type RoundCpu } from './support/directRounds.ts';
import { formatDirectTable } from './support/directTable.ts';
import { closeConnections } from './support/httpMember.ts';
import { makePhotoSet } from './support/jpegs.ts';
import { log } from './support/log.ts';
import { parseOptions as parseImagesOptions } from './support/options.ts';
import { fixed } from './support/stats.ts';
import { createBenchRun, parseWholeNumberFlags } from './support/benchRun.ts';

const PROJECT_DIR = path.resolve(import.meta.dirname, '..');
const DEFAULTS = { images: 4, rounds: 5, uploads: 16, concurrency: 4 };
type DirectOptions = typeof DEFAULTS;
const FLAGS: Record<string, keyof DirectOptions> = {
  '--images': 'images',
  '--rounds': 'rounds',
  '--uploads': 'uploads',
  '--concurrency': 'concurrency',
};
const USAGE = `npm run bench:direct -- [--images N] [--rounds N] [--uploads N] [--concurrency N]
  --images N       distinct 12 MP photos to make (default ${DEFAULTS.images})
  --rounds N       rounds, each measuring both sides (default ${DEFAULTS.rounds})
  --uploads N      avatar uploads per side per round (default ${DEFAULTS.uploads})
  --concurrency N  requests in flight, one per member (default ${DEFAULTS.concurrency})
Environment: BENCH_DATABASE_URL (required: a PostgreSQL server it may create a database in),
  S3_TEST_SERVER / MINIO_BIN (S3 server), BENCH_CPU_PROF_DIR (profile the app),
  BENCH_APP_ENV="NAME=value ..." (extra app and worker variables).`;

const NEEDS_POSTGRES =
  'bench:direct needs PostgreSQL: set BENCH_DATABASE_URL=postgres://… (a server it may create databases in). ' +
  'The web app hands images to a separate worker process only on a shared database.';

function parseOptions(argv: string[]): DirectOptions {
  return parseWholeNumberFlags(argv, FLAGS, DEFAULTS);
}

const bench = createBenchRun(() => {
  closeConnections();
  closeBucketConnections();
});
const defer = bench.defer;

/** Finalize deletes every temporary object, stored or refused: none may be left under incoming/. */
async function countObjects(s3: S3Connection, bucket: string, prefix: string): Promise<number> {
  const client = makeS3Client(s3);
  try {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    return page.KeyCount ?? 0;
  } finally {
    client.destroy();
  }
}

/** Every image in S3, none in the outage store; the queue empty; every finalized direct upload settled. */
async function checkDatabase(url: string): Promise<void> {
  const db = await openDatabase({ databaseUrl: url, dataDir: undefined });
  try {
    const { rows } = await sql<{ elsewhere: number; blobs: number; jobs: number; unsettled: number }>`
      select (select count(*)::int from stored_files where location <> 's3') as elsewhere,
             (select count(*)::int from fallback_blobs) as blobs,
             (select count(*)::int from jobs) as jobs,
             (select count(*)::int from direct_uploads
                where finalized_at is not null and purpose <> 'video' and state not in ('stored', 'refused')) as unsettled`.execute(
      db,
    );
    const found = rows[0];
    if (!found || found.elsewhere + found.blobs + found.jobs + found.unsettled > 0)
      throw new Error(
        `after the run: ${JSON.stringify(found)} (files not in S3, outage-store blobs, jobs, unsettled uploads)`,
      );
  } finally {
    await db.destroy();
  }
}

async function main(): Promise<void> {
  if (process.argv.includes('--help')) return console.log(USAGE);
  const options = parseOptions(process.argv.slice(2));
  const adminUrl = process.env.BENCH_DATABASE_URL;
  if (!adminUrl) {
    console.error(NEEDS_POSTGRES);
    process.exitCode = 1;
    return;
  }
  const started = performance.now();
  const { photos, meanPhotoBytes } = await makePhotoSet(options.images);

  const s3 = await startS3Server();
  defer(() => s3.stop());
  const serverKind = s3.kind === 'minio' ? 'MinIO' : 's3rver';
  const s3Pid = s3.kind === 'minio' ? findChildPid('minio') : undefined;
  log(`S3 server: ${serverKind} at ${s3.endpoint}`);

  // startAppRun signs up one member per request in flight and warms the form route up.
  const database = await createBenchDatabase(adminUrl);
  defer(() => database.drop());
  const defaults = parseImagesOptions([]);
  const appOptions = {
    ...defaults,
    images: options.images,
    concurrency: options.concurrency,
    burst: options.concurrency,
    appEnv: { ...defaults.appEnv, WORKER: 'external' },
  };
  const run = await startAppRun('app', { s3, photos, options: appOptions, databaseUrl: database.url, defer });
  const worker = await startWorkerProcess({ projectDir: PROJECT_DIR, env: run.app.env, appOrigin: run.app.origin });
  defer(() => worker.stop());
  log(`worker pid ${worker.pid} (npm run worker), listed on the app's /healthz`);
  const rounds = createRounds({
    appPid: run.app.pid,
    workerPid: worker.pid,
    s3Pid,
    members: run.members,
    photos,
    uploads: options.uploads,
  });
  await rounds.warmUp();
  log(
    'warmed up: per member one more form upload, one refused form upload, and twice one direct upload and one refused direct upload',
  );

  const measured: RoundCpu[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    log(
      `round ${round}/${options.rounds} (${round % 2 === 1 ? 'form side first' : 'direct side first'}, ${options.uploads} uploads each way)`,
    );
    measured.push(await rounds.round(round));
  }

  const local = await readdir(path.join(run.app.localStorageDir, 'avatars')).catch(() => []);
  if (local.length > 0)
    throw new Error(
      `${local.length} files landed on local disk: some uploads fell back from S3, so the run is not what it claims`,
    );
  const leftovers = await countObjects(s3, run.bucket, 'incoming/');
  if (leftovers > 0)
    throw new Error(
      `${leftovers} temporary objects were left under incoming/: the job or finalize did not delete them`,
    );
  await checkDatabase(database.url);
  reportAppLogs(run);
  for (const line of worker.warnings().slice(0, 5)) log(`worker: ${line.slice(0, 300)}`);
  log(`done in ${fixed((performance.now() - started) / 1000, 0)} s`);

  console.log(
    formatDirectTable({
      serverKind,
      photoCount: photos.length,
      meanPhotoBytes,
      rounds: measured,
      uploads: options.uploads,
      concurrency: options.concurrency,
      // What the caller added (BENCH_APP_ENV); WORKER=external is in the table's title.
      appEnv: defaults.appEnv,
      checks: [
        'checked after the run: every avatar in S3 (none on local disk or in the outage store), no temporary object left',
        '  under incoming/, no job left, every direct upload stored or refused.',
      ],
    }),
  );
}

await bench.run(main);
