/**
 * What every benchmark of `npm run bench` gets, and what it gives back: rows of one table.
 * A row compares VideoVote with a baseline measured side by side in the same run, as a ratio
 * with its spread over rounds, and says whether it meets its target.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { S3TestServer } from '../../test/support/s3Server.ts';
import { startAppProcess, type AppProcess, type AppProcessOptions } from '../support/appProcess.ts';
import { createPublicBucket } from '../support/bucket.ts';
import { startChildScript, type ChildScript } from '../support/childScript.ts';
import { log } from '../support/log.ts';
import type { Summary } from '../support/stats.ts';

export const PROJECT_DIR = path.resolve(import.meta.dirname, '..', '..');

export interface SuiteContext {
  s3: S3TestServer;
  /** Smoke-test sizes: every step runs, on inputs small enough for seconds, not minutes. */
  tiny: boolean;
  rounds: number;
  /** A PostgreSQL server a benchmark may create throwaway databases in (BENCH_DATABASE_URL), else the app runs on PGlite. */
  adminDatabaseUrl: string | undefined;
  defer(step: () => Promise<unknown>): void;
}

export type Target = { atLeast: number } | { atMost: number };

export interface ResultRow {
  figure: string;
  ours: string;
  baseline: string;
  ratio: Summary;
  target?: Target;
  note?: string;
}

export interface BenchmarkResult {
  name: string;
  setting: string;
  rows: ResultRow[];
}

export function meetsTarget(ratio: number, target: Target): boolean {
  return 'atLeast' in target ? ratio >= target.atLeast : ratio <= target.atMost;
}

/** A temp folder removed when the run ends. */
export async function scratchDir(context: SuiteContext, name: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `vv-bench-${name}-`));
  context.defer(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A fresh public bucket on the run's S3 server. */
export async function freshBucket(context: SuiteContext): Promise<string> {
  const bucket = `bench-${randomBytes(5).toString('hex')}`;
  await createPublicBucket(context.s3, bucket);
  return bucket;
}

export type AppSetup = Omit<AppProcessOptions, 'projectDir' | 's3' | 'maxImageMegabytes'> & {
  maxImageMegabytes?: number;
};

/** The app as production runs it, stopped when the run ends. */
export async function startApp(context: SuiteContext, setup: AppSetup): Promise<AppProcess> {
  const app = await startAppProcess({
    projectDir: PROJECT_DIR,
    s3: context.s3,
    maxImageMegabytes: 10,
    cpuProfileDir: process.env.BENCH_CPU_PROF_DIR,
    ...setup,
  });
  context.defer(() => app.stop());
  log(`app pid ${app.pid} at ${app.origin}`);
  return app;
}

/** A helper script (competing server, load generator, floor) in its own process, stopped when the run ends. */
export async function startHelper<Ready>(
  context: SuiteContext,
  script: string,
  env: Record<string, string> = {},
): Promise<ChildScript<Ready>> {
  const child = await startChildScript<Ready>(script, env);
  context.defer(() => child.stop());
  return child;
}

/** The S3 variables the competing scripts read, for one bucket. */
export function s3Env(context: SuiteContext, bucket: string): Record<string, string> {
  const { s3 } = context;
  return {
    AWS_BUCKET_NAME: bucket,
    AWS_REGION: s3.region,
    AWS_ENDPOINT_URL: s3.endpoint,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
  };
}

/** Each round runs the sides in turn, starting with a different side each round, so drift on the machine hits both alike. */
export async function interleaved<T>(rounds: number, sides: Array<() => Promise<T>>): Promise<T[][]> {
  const results: T[][] = sides.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < sides.length; i++) {
      const side = (i + round) % sides.length;
      results[side]!.push(await sides[side]!());
    }
  }
  return results;
}
