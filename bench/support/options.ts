/**
 * Command-line options of bench/images.ts (`--images N --rounds N --concurrency N --burst N
 * --min-uploads N`), plus BENCH_APP_ENV: extra variables for the app process, for trying a
 * runtime setting without editing code (e.g. BENCH_APP_ENV="MALLOC_ARENA_MAX=2").
 */
import { parseWholeNumberFlags } from './benchRun.ts';

export interface BenchOptions {
  /** Distinct photos made for the run. */
  images: number;
  /** Rounds of each throughput measurement (route and in-process, interleaved). */
  rounds: number;
  /** Uploads in flight during the throughput rounds. */
  concurrency: number;
  /** Uploads sent at once while the app's peak RSS is measured. */
  burst: number;
  /** Uploads per throughput round: the photo set repeated to reach at least this many. */
  minUploadsPerRound: number;
  appEnv: Record<string, string>;
}

type NumericOption = Exclude<keyof BenchOptions, 'appEnv'>;

const DEFAULTS: Omit<BenchOptions, 'appEnv'> = {
  images: 16,
  rounds: 3,
  concurrency: 8,
  burst: 32,
  minUploadsPerRound: 24,
};
const FLAGS: Record<string, NumericOption> = {
  '--images': 'images',
  '--rounds': 'rounds',
  '--concurrency': 'concurrency',
  '--burst': 'burst',
  '--min-uploads': 'minUploadsPerRound',
};

export const USAGE = `npm run bench:images -- [--images N] [--rounds N] [--concurrency N] [--burst N] [--min-uploads N]
  --images N       distinct 12 MP photos to make (default ${DEFAULTS.images})
  --rounds N       rounds of each throughput measurement (default ${DEFAULTS.rounds})
  --concurrency N  uploads in flight during the throughput rounds (default ${DEFAULTS.concurrency})
  --burst N        simultaneous uploads while peak RSS is measured (default ${DEFAULTS.burst})
  --min-uploads N  uploads per round at least; the photo set is repeated to reach it (default ${DEFAULTS.minUploadsPerRound})
Environment: BENCH_DATABASE_URL (also run on PostgreSQL), S3_TEST_SERVER / MINIO_BIN (S3 server),
  BENCH_CPU_PROF_DIR (profile the app), BENCH_APP_ENV="NAME=value ..." (extra app variables).`;

export function parseOptions(argv: string[], appEnv = process.env.BENCH_APP_ENV ?? ''): BenchOptions {
  return { ...parseWholeNumberFlags(argv, FLAGS, DEFAULTS), appEnv: parseAppEnv(appEnv) };
}

export function uploadsPerRound(options: BenchOptions): number {
  return options.images * Math.ceil(options.minUploadsPerRound / options.images);
}

/** BENCH_APP_ENV's NAME=value words, for every benchmark that starts the app (bench/soak too). */
export function parseAppEnv(text: string): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(word);
    if (!match) throw new Error(`BENCH_APP_ENV takes NAME=value words separated by spaces (got "${word}")`);
    variables[match[1]!] = match[2]!;
  }
  return variables;
}
