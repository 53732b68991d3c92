/**
 * bench:direct's background worker: `node src/worker.ts` as render.yaml's worker service runs
 * it, with the app's own environment (the same database, bucket and settings), in its own
 * process so its CPU is read apart from the web app's. Ready once the app's /healthz lists it.
 */
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { BENCH_HEALTHZ_AUTH } from './appProcess.ts';

const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;

export interface WorkerProcess {
  pid: number;
  warnings(): string[];
  stop(): Promise<void>;
}

export async function startWorkerProcess(options: {
  projectDir: string;
  env: Record<string, string>;
  /** The web app whose /healthz shows the worker once it takes jobs. */
  appOrigin: string;
}): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['src/worker.ts'], {
    cwd: options.projectDir,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-8_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve())).finally(() =>
    process.removeListener('exit', killOnExit),
  );
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    if (!(await Promise.race([exited.then(() => true), sleep(STOP_GRACE_MS, false)]))) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`The worker exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${output}`);
    const health = (await fetch(`${options.appOrigin}/healthz`, { headers: BENCH_HEALTHZ_AUTH.headers })
      .then((response) => response.json())
      .catch(() => ({}))) as { jobs?: { workers?: Array<{ mode: string }> } };
    if (health.jobs?.workers?.some((worker) => worker.mode === 'external')) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`The app's /healthz did not list the worker within ${READY_TIMEOUT_MS / 1000} s:\n${output}`);
    }
    await sleep(200);
  }
  if (child.pid === undefined) throw new Error('The worker process has no pid');
  return {
    pid: child.pid,
    warnings: () => output.split('\n').filter((line) => line.trim() !== ''),
    stop,
  };
}
