/**
 * Avatar uploads under load: 12-megapixel JPEGs (about 3 MB) at concurrency 8 and 32 through
 * the app's real route, against the naive port of the seed (multer memory storage, sharp,
 * PutObject — bench/servers/naiveAvatarServer.ts) making the same four sizes. Throughput and
 * each server's peak RSS over the same load. Targets: throughput ≥ 1.0 of the naive port,
 * peak RSS ≤ 0.5 of it. The app runs on PostgreSQL when BENCH_DATABASE_URL is set (then its
 * memory is its own), else on the embedded PGlite, whose memory is counted as the app's.
 */
import { createBenchDatabase } from '../support/benchDatabase.ts';
import { peakDuring } from '../support/memoryPhases.ts';
import { mib, summarize } from '../support/stats.ts';
import { writePhotoFiles } from './photoFiles.ts';
import {
  freshBucket,
  interleaved,
  s3Env,
  scratchDir,
  startApp,
  startHelper,
  type BenchmarkResult,
  type ResultRow,
  type SuiteContext,
} from './suiteContext.ts';

interface LoadRun {
  perSecond: number;
  peakBytes: number;
}

export async function benchmarkAvatarLoad(context: SuiteContext): Promise<BenchmarkResult> {
  const concurrencies = context.tiny ? [2] : [8, 32];
  const photos = await writePhotoFiles(context, context.tiny ? 2 : 8, context.tiny ? 'small' : 'twelve-megapixel');
  let databaseUrl: string | undefined;
  if (context.adminDatabaseUrl) {
    const database = await createBenchDatabase(context.adminDatabaseUrl);
    context.defer(() => database.drop());
    databaseUrl = database.url;
  }
  const bucket = await freshBucket(context);
  const app = await startApp(context, { workDir: await scratchDir(context, 'avatars'), bucket, databaseUrl });
  const naive = await startHelper<{ port: number }>(
    context,
    'bench/servers/naiveAvatarServer.ts',
    s3Env(context, bucket),
  );
  const naiveUrl = `http://127.0.0.1:${naive.ready.port}/avatar`;
  const loader = await startHelper(context, 'bench/load/uploadLoad.ts');
  const members = Math.max(...concurrencies);
  await loader.ask({ cmd: 'signUp', origin: app.origin, count: members });

  const load = (pid: number, target: string, uploads: number, concurrency: number) => async (): Promise<LoadRun> => {
    const measured = await peakDuring(pid, () =>
      loader.ask<{ perSecond: number }>({ cmd: 'avatars', target, files: photos.paths, uploads, concurrency }),
    );
    return { perSecond: measured.result.perSecond, peakBytes: measured.peakBytes };
  };
  await load(app.pid, 'app', members, Math.min(8, members))(); // warm-up, unmeasured
  await load(naive.pid, naiveUrl, members, Math.min(8, members))();

  const rows: ResultRow[] = [];
  for (const concurrency of concurrencies) {
    const uploads = context.tiny ? 4 : Math.max(32, concurrency * 2);
    const [appRuns, naiveRuns] = (await interleaved(context.rounds, [
      load(app.pid, 'app', uploads, concurrency),
      load(naive.pid, naiveUrl, uploads, concurrency),
    ])) as [LoadRun[], LoadRun[]];
    const median = (runs: LoadRun[], pick: (run: LoadRun) => number) => summarize(runs.map(pick)).median;
    rows.push(
      {
        figure: `uploads/s at c=${concurrency}: app / naive port`,
        ours: median(appRuns, (run) => run.perSecond).toFixed(1),
        baseline: median(naiveRuns, (run) => run.perSecond).toFixed(1),
        ratio: summarize(appRuns.map((run, i) => run.perSecond / naiveRuns[i]!.perSecond)),
        target: { atLeast: 1.0 },
      },
      {
        figure: `peak RSS at c=${concurrency}: app / naive port`,
        ours: mib(median(appRuns, (run) => run.peakBytes)),
        baseline: mib(median(naiveRuns, (run) => run.peakBytes)),
        ratio: summarize(appRuns.map((run, i) => run.peakBytes / naiveRuns[i]!.peakBytes)),
        target: { atMost: 0.5 },
      },
    );
  }
  return {
    name: 'avatar uploads under load',
    setting: `${photos.description}, app on ${databaseUrl ? 'PostgreSQL' : 'PGlite'}`,
    rows,
  };
}
