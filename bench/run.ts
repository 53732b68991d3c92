/**
 * `npm run bench` — every performance benchmark of VideoVote against what people would use
 * instead, in one run and one table of ratios measured side by side:
 *   page      image-heavy home page vs the same template from precomputed URLs
 *   video     100 MB upload through the app vs the SDK straight to S3, and vs multer-s3
 *   avatars   12 MP avatar uploads at concurrency 8 and 32 vs the naive port
 *   fallback  upload latency with S3 black-holed vs local-only mode
 *   scale     home page p99 with 10,000 videos and 100,000 votes vs 100 videos
 *   scaleout  home page on two web instances on one PostgreSQL vs one instance (needs BENCH_DATABASE_URL)
 * `--only page,video` runs some; `--tiny` runs all on tiny sizes (the smoke test); `--rounds N`.
 * Progress goes to stderr, the table to stdout. See bench/README.md for each figure.
 */
import os from 'node:os';
import { startS3Server } from '../test/support/s3Server.ts';
import { createBenchRun } from './support/benchRun.ts';
import { closeConnections } from './support/httpMember.ts';
import { log } from './support/log.ts';
import { benchmarkAvatarLoad } from './suite/avatarLoad.ts';
import { benchmarkFallbackLatency } from './suite/fallbackLatency.ts';
import { benchmarkPageRender } from './suite/pageRender.ts';
import { benchmarkRankingScale } from './suite/rankingScale.ts';
import type { BenchmarkResult, SuiteContext } from './suite/suiteContext.ts';
import { formatSuiteTable } from './suite/suiteTable.ts';
import { benchmarkTwoInstances } from './suite/twoInstances.ts';
import { benchmarkVideoPassThrough } from './suite/videoPassThrough.ts';

const BENCHMARKS: Record<string, (context: SuiteContext) => Promise<BenchmarkResult>> = {
  page: benchmarkPageRender,
  video: benchmarkVideoPassThrough,
  avatars: benchmarkAvatarLoad,
  fallback: benchmarkFallbackLatency,
  scale: benchmarkRankingScale,
  scaleout: benchmarkTwoInstances,
};

const USAGE = `npm run bench -- [--only ${Object.keys(BENCHMARKS).join(',')}] [--rounds N] [--tiny]
  BENCH_DATABASE_URL=postgres://…  run the app on PostgreSQL (throwaway databases) where a benchmark needs a database server
  S3_TEST_SERVER=minio             require MinIO (else MinIO when found, s3rver otherwise)`;

function parseArguments(argv: string[]): { only: string[]; rounds: number | undefined; tiny: boolean } {
  let only = Object.keys(BENCHMARKS);
  let rounds: number | undefined;
  let tiny = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--tiny') tiny = true;
    else if (arg === '--only') only = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (arg === '--rounds') rounds = Number(argv[++i]);
    else throw new Error(`Unknown option ${arg}.\n${USAGE}`);
  }
  const unknown = only.filter((name) => !(name in BENCHMARKS));
  if (unknown.length > 0 || only.length === 0)
    throw new Error(`--only takes a comma-separated list of ${Object.keys(BENCHMARKS).join(', ')}`);
  if (rounds !== undefined && (!Number.isInteger(rounds) || rounds < 1 || rounds > 20))
    throw new Error('--rounds takes a whole number from 1 to 20');
  return { only, rounds, tiny };
}

const bench = createBenchRun(closeConnections);

await bench.run(async () => {
  if (process.argv.includes('--help')) return console.log(USAGE);
  const { only, rounds, tiny } = parseArguments(process.argv.slice(2));
  const s3 = await startS3Server();
  bench.defer(() => s3.stop());
  const serverKind = s3.kind === 'minio' ? 'MinIO' : 's3rver (MinIO not found)';
  log(`S3 server: ${serverKind} at ${s3.endpoint}`);
  const context: SuiteContext = {
    s3,
    tiny,
    rounds: rounds ?? (tiny ? 1 : 3),
    adminDatabaseUrl: process.env.BENCH_DATABASE_URL || undefined,
    defer: bench.defer,
  };
  const results: BenchmarkResult[] = [];
  for (const name of only) {
    log(`— ${name}`);
    const started = performance.now();
    results.push(await BENCHMARKS[name]!(context));
    log(`${name} done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
  const title = `npm run bench${tiny ? ' --tiny (smoke sizes: the figures mean nothing)' : ''} — S3: ${serverKind}, database: ${context.adminDatabaseUrl ? 'PostgreSQL where noted, else PGlite' : 'PGlite'}, ${context.rounds} round(s)`;
  const footer = [
    'ratio: VideoVote / baseline, median of the per-round ratios; spread: lowest–highest round.',
    `machine: ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, node ${process.version}`,
  ];
  console.log(formatSuiteTable(title, results, footer));
});
