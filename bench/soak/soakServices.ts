/**
 * Everything the soak run's traffic talks to, started as production runs it: MinIO behind a
 * public-read bucket; PostgreSQL (the run's own cluster, or SOAK_DATABASE_URL); the web app
 * as render.yaml starts it (`node src/server.ts`, NODE_ENV=production, WORKER=external) on a
 * fixed port, so a restarted app answers where the killed one did; and the worker
 * (`node src/worker.ts`). Plus the fault actions on them, and the app's RSS sampled every
 * second for the whole run.
 *
 * "S3 down" stops the MinIO process (SIGTERM; same port and data when it comes back) rather
 * than switching off a proxy in front of it. That is the outage closest to a real one: every
 * client (the app, the worker, and browsers sending direct uploads to presigned URLs) has its
 * connections cut and new ones refused by the kernel; requests the server had half-received
 * die with it rather than completing behind a proxy; and recovery is the server's own start-up.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../test/support/network.ts';
import { createThrowawayDatabase } from '../../test/support/postgres.ts';
import { startS3Server, type S3TestServer } from '../../test/support/s3Server.ts';
import { appEnvironment, startAppProcess, type AppProcess, type AppProcessOptions } from '../support/appProcess.ts';
import { createPublicBucket } from '../support/bucket.ts';
import { parseAppEnv } from '../support/options.ts';
import { readMemory } from '../support/procMemory.ts';
import type { FaultActions } from './faultRunner.ts';
import { findPostgresBin, startPostgresCluster, type PostgresCluster } from './postgresCluster.ts';
import { startWorkerProcess, type WorkerProcess } from './workerProcess.ts';

const PROJECT_DIR = path.resolve(import.meta.dirname, '..', '..');
const RSS_EVERY_MS = 1_000;

export interface RssSample {
  pid: number;
  at: number;
  bytes: number;
}

export interface SoakServices {
  s3: S3TestServer;
  bucket: string;
  databaseUrl: string;
  /** "PostgreSQL 15.x, own cluster" or why it is not restarted. */
  databaseLabel: string;
  canRestartDatabase: boolean;
  origin: string;
  localStorageDir: string;
  /** The environment the app and the worker get, for running the storage CLIs against the same stores. */
  cliEnv: Record<string, string>;
  projectDir: string;
  /** The app now running, and when it became ready (epoch ms). */
  app(): { process: AppProcess; readyAt: number };
  /** Every app and worker process's log lines, killed ones included. */
  logLines(): string[];
  rssSamples: RssSample[];
  /** Processes that should be running and are not (an unplanned exit), with the app's last output. */
  unplannedExits(): string[];
  faults: FaultActions;
}

export async function startSoakServices(defer: (step: () => Promise<unknown>) => void): Promise<SoakServices> {
  const s3 = await startS3Server({ kind: 'minio' });
  defer(() => s3.stop());
  const bucket = `soak-${randomBytes(4).toString('hex')}`;
  await createPublicBucket(s3, bucket);

  const database = await openDatabase(defer);
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'vv-soak-'));
  defer(() => rm(workDir, { recursive: true, force: true }));
  const options: AppProcessOptions = {
    projectDir: PROJECT_DIR,
    workDir,
    s3,
    bucket,
    databaseUrl: database.url,
    maxImageMegabytes: 10,
    port: await freePort(),
    extraEnv: {
      WORKER: 'external',
      // Info: the "Upload stored" and "Resync" lines are what the run counts.
      LOG_LEVEL: 'info',
      // One secret for every incarnation, so members stay logged in across the app's restart.
      SESSION_SECRET: randomBytes(30).toString('base64url'),
      LOGIN_ATTEMPTS_PER_IP: '100000',
      VOTES_PER_MINUTE: '10000',
      RESYNC_INTERVAL_SECONDS: '5',
      // An experiment's runtime setting (BENCH_APP_ENV), as in the other benchmarks.
      ...parseAppEnv(process.env.BENCH_APP_ENV ?? ''),
    },
  };
  const workerEnv = appEnvironment(options, options.port!);
  const retired: Array<{ lines(): string[] }> = [];
  let app = { process: await startAppProcess(options), readyAt: Date.now() };
  let worker: WorkerProcess = await startWorkerProcess(PROJECT_DIR, workerEnv);
  defer(() => app.process.stop());
  defer(() => worker.stop());

  const rssSamples: RssSample[] = [];
  const sampler = setInterval(() => {
    try {
      rssSamples.push({ pid: app.process.pid, at: Date.now(), bytes: readMemory(app.process.pid).rssBytes });
    } catch {
      // Between a kill and the restart there is no process to read.
    }
  }, RSS_EVERY_MS);
  defer(async () => clearInterval(sampler));

  return {
    s3,
    bucket,
    databaseUrl: database.url,
    databaseLabel: database.label,
    canRestartDatabase: database.cluster !== undefined,
    origin: `http://127.0.0.1:${options.port}`,
    cliEnv: workerEnv,
    projectDir: PROJECT_DIR,
    localStorageDir: path.join(workDir, 'static'),
    app: () => app,
    logLines: () => [...retired.flatMap((each) => each.lines()), ...app.process.warnings(), ...worker.lines()],
    rssSamples,
    unplannedExits: () =>
      [
        ['the app', app.process.pid],
        ['the worker', worker.pid],
      ]
        .filter(([, pid]) => !isRunning(pid as number))
        .map(([name, pid]) => `${name} (pid ${pid}) exited on its own`),
    faults: {
      's3-down': { down: () => s3.pause(), up: () => s3.restart() },
      'postgres-restart': {
        down: () => database.cluster!.pause(),
        up: () => database.cluster!.resume(),
      },
      'app-kill': {
        async down() {
          const killed = app.process;
          process.kill(killed.pid, 'SIGKILL');
          await killed.stop();
          retired.push({ lines: () => killed.warnings() });
        },
        async up() {
          // S3 may be down at this moment in another plan: ready once it answers at all.
          app = { process: await startAppProcess({ ...options, readiness: 'listening' }), readyAt: Date.now() };
        },
      },
      'worker-kill': {
        async down() {
          const killed = worker;
          await killed.kill();
          retired.push(killed);
        },
        async up() {
          worker = await startWorkerProcess(PROJECT_DIR, workerEnv);
        },
      },
    },
  };
}

async function openDatabase(
  defer: (step: () => Promise<unknown>) => void,
): Promise<{ url: string; label: string; cluster?: PostgresCluster }> {
  const given = process.env.SOAK_DATABASE_URL;
  if (given) {
    const database = await createThrowawayDatabase(given, 'vv_bench');
    defer(() => database.drop());
    return { url: database.url, label: 'SOAK_DATABASE_URL (not ours: the PostgreSQL restart is skipped)' };
  }
  const bin = findPostgresBin();
  if (!bin)
    throw new Error(
      'PostgreSQL is needed: install it (binaries in /usr/lib/postgresql/<major>/bin) or set SOAK_DATABASE_URL.',
    );
  const cluster = await startPostgresCluster(bin);
  defer(() => cluster.stop());
  return { url: cluster.url, label: `${cluster.version}, own cluster, restarted once`, cluster };
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
