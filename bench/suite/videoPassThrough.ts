/**
 * Video pass-through: one large MP4 uploaded through the app's `POST /videos` to S3, against
 * the floor (the AWS SDK's `Upload` streaming the same file from disk straight to the same S3
 * server, from its own process) and against multer-s3 doing the same through Express.
 * Throughput is bytes over the client's wall time. Also the server CPU per upload, the app's
 * RSS growth over the upload, and the fallback: the same upload with S3 failing halfway
 * (videoHalfwayFailure.ts; the run fails unless the video ends whole on local disk, owed to S3).
 * Targets (#13): ≥ 0.9 of the floor, ≥ 1.0 of multer-s3, CPU ≤ 1.0 of multer-s3, growth ≤ 64 MiB.
 */
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { makeMp4 } from '../../test/support/videoFixtures.ts';
import { cpuSeconds } from '../support/cpuTime.ts';
import { peakDuring } from '../support/memoryPhases.ts';
import { readMemory } from '../support/procMemory.ts';
import { MIB, summarize } from '../support/stats.ts';
import {
  freshBucket,
  interleaved,
  s3Env,
  scratchDir,
  startApp,
  startHelper,
  type BenchmarkResult,
  type SuiteContext,
} from './suiteContext.ts';
import { measureHalfwayFailure } from './videoHalfwayFailure.ts';

const RSS_BUDGET = 64 * MIB;

interface Transfer {
  seconds: number;
  bytes: number;
  /** CPU seconds of the server that received the upload (user + system), where there is one. */
  serverCpu?: number;
}

/** Runs `upload` and adds the CPU time process `pid` spent meanwhile. */
async function withCpu(pid: number, upload: () => Promise<Transfer>): Promise<Transfer> {
  const before = cpuSeconds(pid);
  const transfer = await upload();
  return { ...transfer, serverCpu: cpuSeconds(pid) - before };
}

export async function benchmarkVideoPassThrough(context: SuiteContext): Promise<BenchmarkResult> {
  const megabytes = context.tiny ? 8 : 100;
  const workDir = await scratchDir(context, 'video');
  const file = path.join(workDir, 'clip.mp4');
  await writeFile(file, makeMp4(megabytes * MIB));
  const bucket = await freshBucket(context);
  const app = await startApp(context, { workDir, bucket });
  const loader = await startHelper(context, 'bench/load/uploadLoad.ts');
  await loader.ask({ cmd: 'signUp', origin: app.origin, count: 1 });
  const multerS3 = await startHelper<{ port: number }>(
    context,
    'bench/servers/multerS3Server.ts',
    s3Env(context, bucket),
  );
  const floor = await startHelper(context, 'bench/load/sdkUploadFloor.ts', s3Env(context, bucket));
  const multerS3Url = `http://127.0.0.1:${multerS3.ready.port}/video`;

  const growth: number[] = [];
  const throughApp = async () => {
    const before = readMemory(app.pid).rssBytes;
    const measured = await peakDuring(app.pid, () =>
      withCpu(app.pid, () => loader.ask<Transfer>({ cmd: 'video', target: 'app', file })),
    );
    growth.push(measured.peakBytes - before);
    return measured.result;
  };
  const sides = [
    throughApp,
    () => withCpu(multerS3.pid, () => loader.ask<Transfer>({ cmd: 'video', target: multerS3Url, file })),
    () => floor.ask<Transfer>({ file }),
  ];
  if (!context.tiny) await interleaved(1, sides); // warm-up, unmeasured
  growth.length = 0;
  const [appRuns, multerRuns, floorRuns] = (await interleaved<Transfer>(context.rounds, sides)) as [
    Transfer[],
    Transfer[],
    Transfer[],
  ];

  const local = await readdir(path.join(workDir, 'static', 'uploads')).catch(() => []);
  if (local.length > 0)
    throw new Error(`${local.length} videos fell back to local disk, so the app did not pass them through to S3`);
  const halfway = await measureHalfwayFailure(context, file, megabytes * MIB);
  const appSeconds = summarize(appRuns.map((run) => run.seconds)).median;
  const rate = (run: Transfer) => run.bytes / MIB / run.seconds;
  const medianRate = (runs: Transfer[]) => summarize(runs.map(rate)).median.toFixed(0);
  const growthMedian = summarize(growth).median;
  return {
    name: 'video pass-through',
    setting: `${megabytes} MB MP4, MiB/s`,
    rows: [
      {
        figure: 'MiB/s: app / SDK Upload straight to S3',
        ours: medianRate(appRuns),
        baseline: medianRate(floorRuns),
        ratio: summarize(appRuns.map((run, i) => rate(run) / rate(floorRuns[i]!))),
        target: { atLeast: 0.9 },
      },
      {
        figure: 'MiB/s: app / multer-s3 through Express',
        ours: medianRate(appRuns),
        baseline: medianRate(multerRuns),
        ratio: summarize(appRuns.map((run, i) => rate(run) / rate(multerRuns[i]!))),
        target: { atLeast: 1.0 },
      },
      {
        figure: 'server CPU s per upload: app / multer-s3',
        ours: summarize(appRuns.map((run) => run.serverCpu!)).median.toFixed(2),
        baseline: summarize(multerRuns.map((run) => run.serverCpu!)).median.toFixed(2),
        ratio: summarize(appRuns.map((run, i) => run.serverCpu! / Math.max(multerRuns[i]!.serverCpu!, 0.01))),
        target: { atMost: 1.0 },
      },
      {
        figure: 'app RSS growth MiB / 64 MiB budget',
        ours: (growthMedian / MIB).toFixed(0),
        baseline: '64',
        ratio: summarize(growth.map((bytes) => bytes / RSS_BUDGET)),
        target: { atMost: 1.0 },
      },
      {
        figure: 'S3 fails halfway: upload s / with S3 up',
        ours: halfway.seconds.toFixed(1),
        baseline: appSeconds.toFixed(1),
        ratio: summarize([halfway.seconds / appSeconds]),
        note: `one upload; checked: 303, whole on local disk, ${halfway.owed} copy owed to S3`,
      },
    ],
  };
}
