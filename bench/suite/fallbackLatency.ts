/**
 * Fallback latency: S3 black-holed (it accepts connections and never answers). Once the
 * circuit breaker has opened, an avatar upload should cost what it costs in local-only mode:
 * no request may wait on S3. Median latency of sequential uploads, app with S3 black-holed /
 * app with USE_CLOUD_STORAGE=false. Target ≤ 1.2.
 */
import { startBlackHole } from '../../test/support/faultyEndpoints.ts';
import { BENCH_HEALTHZ_AUTH } from '../support/appProcess.ts';
import { summarize } from '../support/stats.ts';
import { writePhotoFiles } from './photoFiles.ts';
import {
  interleaved,
  scratchDir,
  startApp,
  startHelper,
  type BenchmarkResult,
  type SuiteContext,
} from './suiteContext.ts';

export async function benchmarkFallbackLatency(context: SuiteContext): Promise<BenchmarkResult> {
  const uploads = context.tiny ? 2 : 8;
  const photos = await writePhotoFiles(context, context.tiny ? 2 : 4, context.tiny ? 'small' : 'twelve-megapixel');
  const blackHole = await startBlackHole();
  context.defer(() => blackHole.close());
  const s3Down = await startApp(context, {
    workDir: await scratchDir(context, 'fallback-down'),
    bucket: 'black-holed',
    readiness: 'listening',
    extraEnv: { AWS_ENDPOINT_URL: blackHole.endpoint },
  });
  const localOnly = await startApp(context, {
    workDir: await scratchDir(context, 'fallback-local'),
    bucket: 'unused',
    readiness: 'listening',
    extraEnv: { USE_CLOUD_STORAGE: 'false' },
  });
  const downLoader = await startHelper(context, 'bench/load/uploadLoad.ts');
  const localLoader = await startHelper(context, 'bench/load/uploadLoad.ts');
  await downLoader.ask({ cmd: 'signUp', origin: s3Down.origin, count: 1 });
  await localLoader.ask({ cmd: 'signUp', origin: localOnly.origin, count: 1 });

  type Latencies = { latenciesMs: number[] };
  const firstUpload = await downLoader.ask<Latencies>({
    cmd: 'avatars',
    target: 'app',
    files: photos.paths,
    uploads: 2,
    concurrency: 1,
  });
  await localLoader.ask({ cmd: 'avatars', target: 'app', files: photos.paths, uploads: 2, concurrency: 1 });
  const health = (await (await fetch(`${s3Down.origin}/healthz`, { headers: BENCH_HEALTHZ_AUTH.headers })).json()) as {
    storage?: { s3?: { breaker?: string } };
  };
  if (health.storage?.s3?.breaker !== 'open')
    throw new Error(
      `The circuit breaker is ${health.storage?.s3?.breaker ?? 'unknown'} after uploads with S3 black-holed; expected open`,
    );

  const sequential = (loader: typeof downLoader) => async () =>
    summarize(
      (await loader.ask<Latencies>({ cmd: 'avatars', target: 'app', files: photos.paths, uploads, concurrency: 1 }))
        .latenciesMs,
    ).median;
  const [downMedians, localMedians] = (await interleaved(context.rounds, [
    sequential(downLoader),
    sequential(localLoader),
  ])) as [number[], number[]];
  return {
    name: 'fallback latency',
    setting: `S3 black-holed, breaker open; ${uploads} sequential avatar uploads per round, ${photos.description}; first upload with S3 black-holed took ${firstUpload.latenciesMs[0]!.toFixed(0)} ms`,
    rows: [
      {
        figure: 'median upload ms: S3 down / local-only',
        ours: summarize(downMedians).median.toFixed(0),
        baseline: summarize(localMedians).median.toFixed(0),
        ratio: summarize(downMedians.map((median, i) => median / localMedians[i]!)),
        target: { atMost: 1.2 },
      },
    ],
  };
}
