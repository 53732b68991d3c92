/**
 * The app as production runs it, in its own process: `node src/server.ts` with
 * NODE_ENV=production and S3 storage, so its memory can be read from /proc/<pid> apart from
 * the benchmark's. Spawning process.execPath directly makes the child's pid the app's pid.
 * The environment is built from scratch (plus PATH and HOME) and DOTENV_CONFIG_PATH points at
 * nothing, so neither the caller's variables nor a local .env can change what is measured.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { S3Connection } from '../../test/support/s3Server.ts';
import { freePort as findFreePort } from '../../test/support/network.ts';

/** Every benchmark app gets this HEALTHZ_TOKEN, so readiness checks can read the /healthz details. */
export const BENCH_HEALTHZ_AUTH = (() => {
  const token = randomBytes(24).toString('base64url');
  return { token, headers: { Authorization: `Bearer ${token}` } };
})();

const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;
const OUTPUT_TAIL_CHARS = 8_000;

export interface AppProcessOptions {
  projectDir: string;
  /** Scratch directory for DATA_DIR, LOCAL_STORAGE_DIR and UPLOAD_TEMP_DIR. */
  workDir: string;
  s3: S3Connection;
  bucket: string;
  /** PostgreSQL instead of the embedded PGlite. */
  databaseUrl?: string;
  maxImageMegabytes: number;
  /** When set, the app runs with `--cpu-prof` and writes its profile here as it exits. */
  cpuProfileDir?: string;
  /** Extra variables for experiments, e.g. { MALLOC_ARENA_MAX: '2' } (BENCH_APP_ENV), or to point storage elsewhere. */
  extraEnv?: Record<string, string>;
  /** 's3-reachable' (default): ready once /healthz says S3 answers; 'listening': once /healthz answers at all (local-only or S3 down on purpose). */
  readiness?: 's3-reachable' | 'listening';
  /** A fixed port, so a restarted app answers where the old one did (bench/soak); a free one when unset. */
  port?: number;
}

export interface AppProcess {
  pid: number;
  origin: string;
  /** The environment it was started with (a worker process for the same deployment gets the same). */
  env: Record<string, string>;
  localStorageDir: string;
  /** The app's log lines (stdout; LOG_LEVEL=warn, so warnings and errors only). Stderr is kept for failure messages. */
  warnings(): string[];
  /** The last few kB of its stdout and stderr together, for a failure message. */
  output(): string;
  stop(): Promise<void>;
}

/** The app's whole environment, built from scratch; the page benchmark's floor server reads the same. */
export function appEnvironment(options: AppProcessOptions, port: number): Record<string, string> {
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DOTENV_CONFIG_PATH: path.join(options.workDir, 'no-such.env'),
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    // The benchmark is the load; the per-member upload limits would only get in its way.
    UPLOADS_PER_MINUTE: '10000',
    DAILY_UPLOAD_MB: '1000000',
    SIGNUPS_PER_IP_PER_HOUR: '100000',
    HEALTHZ_TOKEN: BENCH_HEALTHZ_AUTH.token,
    // As render.yaml deploys it (see the comment there).
    MALLOC_ARENA_MAX: '2',
    NODE_OPTIONS: '--max-semi-space-size=16',
    SESSION_SECRET: randomBytes(30).toString('base64url').slice(0, 40),
    DATA_DIR: path.join(options.workDir, 'data'),
    LOCAL_STORAGE_DIR: path.join(options.workDir, 'static'),
    UPLOAD_TEMP_DIR: path.join(options.workDir, 'upload-tmp'),
    USE_CLOUD_STORAGE: 'true',
    AWS_BUCKET_NAME: options.bucket,
    AWS_REGION: options.s3.region,
    AWS_ENDPOINT_URL: options.s3.endpoint,
    AWS_ACCESS_KEY_ID: options.s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: options.s3.secretAccessKey,
    LOG_LEVEL: 'warn',
    MAX_IMAGE_SIZE_MB: String(options.maxImageMegabytes),
    // Without BENCH_DATABASE_URL the benchmark measures the embedded database, in production mode on purpose.
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : { ALLOW_EMBEDDED_DATABASE: 'true' }),
    ...options.extraEnv,
  };
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

export async function startAppProcess(options: AppProcessOptions): Promise<AppProcess> {
  const port = options.port ?? (await findFreePort());
  const localStorageDir = path.join(options.workDir, 'static');
  const env = appEnvironment(options, port);
  const profiling = options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : [];
  const child = spawn(process.execPath, [...profiling, 'src/server.ts'], {
    cwd: options.projectDir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = collectOutput(child);
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (error) => {
      output.append(`\n${error.message}\n`);
      resolve();
    });
  }).finally(() => process.removeListener('exit', killOnExit));

  const origin = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const inTime = await Promise.race([exited.then(() => true), sleep(STOP_GRACE_MS, false)]);
    if (!inTime) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  try {
    await waitUntilReady(origin, child, output.tail, options.readiness ?? 's3-reachable');
  } catch (error) {
    await stop();
    throw error;
  }
  if (child.pid === undefined) throw new Error('The app process has no pid');
  return { pid: child.pid, origin, env, localStorageDir, warnings: output.warnings, output: output.tail, stop };
}

/** Ready when /healthz answers and (by default) reports S3 reachable, else uploads would fall back to disk. */
async function waitUntilReady(
  origin: string,
  child: ChildProcess,
  tail: () => string,
  readiness: 's3-reachable' | 'listening',
): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `The app exited (${child.exitCode ?? child.signalCode}) before it was ready. Its output:\n${tail()}`,
      );
    }
    try {
      const response = await fetch(`${origin}/healthz`, {
        headers: BENCH_HEALTHZ_AUTH.headers,
        signal: AbortSignal.timeout(2_000),
      });
      const body = (await response.json()) as { storage?: { mode?: string; s3?: { reachable?: boolean } } };
      last = `${response.status} ${JSON.stringify(body)}`;
      if (
        response.ok &&
        (readiness === 'listening' || (body.storage?.mode === 's3' && body.storage.s3?.reachable === true))
      )
        return;
    } catch {
      // Not listening yet.
    }
    await sleep(200);
  }
  throw new Error(
    `The app at ${origin} was not ready (${readiness}) after ${READY_TIMEOUT_MS / 1000} s; last /healthz: ${last}. Its output:\n${tail()}`,
  );
}

function collectOutput(child: ChildProcess) {
  let tail = '';
  const warnings: string[] = [];
  const append = (text: string) => {
    tail = (tail + text).slice(-OUTPUT_TAIL_CHARS);
  };
  const linesOf = (keep: boolean) => {
    let partial = '';
    return (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      append(text);
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      if (keep) warnings.push(...lines.filter((line) => line.trim() !== ''));
    };
  };
  child.stdout?.on('data', linesOf(true));
  child.stderr?.on('data', linesOf(false));
  return { append, tail: () => tail, warnings: () => [...warnings] };
}
