/**
 * bench:images — how close avatar uploads through the real HTTP route come to the bare image
 * pipeline, how much memory the app needs for a burst of uploads, and how many bytes it keeps
 * per photo. Everything is measured side by side in one run on the same photos and reported
 * as ratios, medians and spreads: a bare time would mean nothing on another machine.
 * Runs on the embedded PGlite, then on PostgreSQL too when BENCH_DATABASE_URL is set.
 * See bench/README.md for what each figure means.
 */
import { startS3Server, type S3TestServer } from '../test/support/s3Server.ts';
import { measureBurstPeak, measureStorage, reportAppLogs, startAppRun } from './support/appRun.ts';
import { createBenchDatabase } from './support/benchDatabase.ts';
import { findChildPid } from './support/cpuTime.ts';
import { closeConnections } from './support/httpMember.ts';
import { makePhotoSet, type Photo } from './support/jpegs.ts';
import { log } from './support/log.ts';
import { createBenchRun } from './support/benchRun.ts';
import { parseOptions, uploadsPerRound, USAGE, type BenchOptions } from './support/options.ts';
import { formatTable, type DatabaseSection } from './support/table.ts';
import { measureThroughput } from './support/throughput.ts';

/**
 * Cleanup steps, run last-in first-out whatever happens (also on Ctrl-C), once: the first
 * caller runs them and later callers wait for the same run. Client connections are cut first,
 * so the app's graceful shutdown has no requests to wait for. Steps deferred while cleanup
 * runs (a server that finished starting meanwhile) are picked up by the same loop.
 */
const bench = createBenchRun(closeConnections);
const defer = bench.defer;

/** Every measurement against one app process, on PGlite or (given a URL) PostgreSQL. */
async function measureWithDatabase(
  label: string,
  s3: S3TestServer,
  photos: Photo[],
  options: BenchOptions,
  databaseUrl?: string,
): Promise<DatabaseSection> {
  const s3Pid = s3.kind === 'minio' ? findChildPid('minio') : undefined;
  const run = await startAppRun(label, { s3, photos, options, databaseUrl, defer });
  const throughput = await measureThroughput(run, photos, options, s3Pid, databaseUrl ? 'postgres' : undefined);
  const memory = await measureBurstPeak(run, photos, options.burst);
  const storage = await measureStorage(s3, run);
  reportAppLogs(run);
  await run.app.stop(); // before the next app starts; its cleanup step is then a no-op
  return { label, ...throughput, memory, storage };
}

async function main(): Promise<void> {
  if (process.argv.includes('--help')) return console.log(USAGE);
  const options = parseOptions(process.argv.slice(2));
  const { photos, meanPhotoBytes } = await makePhotoSet(options.images);

  const s3 = await startS3Server();
  defer(() => s3.stop());
  const serverKind = s3.kind === 'minio' ? 'MinIO' : 's3rver';
  log(`S3 server: ${serverKind} at ${s3.endpoint}`);

  const sections: Array<DatabaseSection | string> = [await measureWithDatabase('PGlite', s3, photos, options)];
  const adminUrl = process.env.BENCH_DATABASE_URL;
  if (adminUrl) {
    const database = await createBenchDatabase(adminUrl);
    defer(() => database.drop());
    sections.push(await measureWithDatabase('PostgreSQL', s3, photos, options, database.url));
  } else {
    sections.push("PostgreSQL: not run (set BENCH_DATABASE_URL to separate the app's own memory from PGlite's)");
  }

  console.log(
    formatTable({
      serverKind,
      photoCount: photos.length,
      meanPhotoBytes,
      options,
      uploadsPerRound: uploadsPerRound(options),
      sections,
    }),
  );
}

await bench.run(main);
