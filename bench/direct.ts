/**
 * bench:direct — what an avatar upload costs the app in CPU when the browser sends the file
 * straight to S3 (presign, signed POST to the bucket, finalize), against the same photo
 * through the form route (POST /profile/avatar). Both run against one app process, on the same
 * photos, in the same rounds, alternating; the app's CPU is read from /proc around each phase.
 * Finalize still runs the whole image pipeline on the bytes it reads back from S3, so the
 * table gives both readings of "≤ 10 %": the whole direct flow, and presign against the
 * transfer it replaces. See bench/README.md for what each figure means.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { makeS3Client, startS3Server, type S3Connection } from '../test/support/s3Server.ts';
import { reportAppLogs, startAppRun } from './support/appRun.ts';
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
Environment: S3_TEST_SERVER / MINIO_BIN (S3 server), BENCH_CPU_PROF_DIR (profile the app),
  BENCH_APP_ENV="NAME=value ..." (extra app variables).`;

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

async function main(): Promise<void> {
  if (process.argv.includes('--help')) return console.log(USAGE);
  const options = parseOptions(process.argv.slice(2));
  const started = performance.now();
  const { photos, meanPhotoBytes } = await makePhotoSet(options.images);

  const s3 = await startS3Server();
  defer(() => s3.stop());
  const serverKind = s3.kind === 'minio' ? 'MinIO' : 's3rver';
  const s3Pid = s3.kind === 'minio' ? findChildPid('minio') : undefined;
  log(`S3 server: ${serverKind} at ${s3.endpoint}`);

  // startAppRun signs up one member per request in flight and warms the form route up.
  const appOptions = {
    ...parseImagesOptions([]),
    images: options.images,
    concurrency: options.concurrency,
    burst: options.concurrency,
  };
  const run = await startAppRun('app', { s3, photos, options: appOptions, defer });
  const rounds = createRounds({ appPid: run.app.pid, s3Pid, members: run.members, photos, uploads: options.uploads });
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
    throw new Error(`${leftovers} temporary objects were left under incoming/: finalize did not delete them`);
  reportAppLogs(run);
  log(`done in ${fixed((performance.now() - started) / 1000, 0)} s`);

  console.log(
    formatDirectTable({
      serverKind,
      photoCount: photos.length,
      meanPhotoBytes,
      rounds: measured,
      uploads: options.uploads,
      concurrency: options.concurrency,
      appEnv: appOptions.appEnv,
      checks: [
        'checked after the run: every avatar in S3 (none on local disk), no temporary object left under incoming/.',
      ],
    }),
  );
}

await bench.run(main);
