/**
 * `node src/worker.ts` as render.yaml's worker service runs it (`exec node src/worker.ts`: the
 * pid is node's), with the app's environment, so the soak run can SIGKILL it and start another.
 * Ready once it logs that it is taking jobs. Its log lines are kept for the run's counts.
 */
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;

export interface WorkerProcess {
  pid: number;
  lines(): string[];
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export async function startWorkerProcess(projectDir: string, env: Record<string, string>): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['src/worker.ts'], { cwd: projectDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const split = (partial + chunk.toString('utf8')).split('\n');
    partial = split.pop() ?? '';
    lines.push(...split.filter((line) => line.trim() !== ''));
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-4000)));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve())).finally(() =>
    process.removeListener('exit', killOnExit),
  );
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  const stopWith = async (signal: NodeJS.Signals) => {
    if (gone()) return;
    child.kill(signal);
    if (!(await Promise.race([exited.then(() => true), sleep(STOP_GRACE_MS, false)]))) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!lines.some((line) => line.includes('is taking jobs'))) {
    if (gone() || Date.now() > deadline) {
      await stopWith('SIGKILL');
      throw new Error(`The worker did not start: ${[...lines.slice(-20), stderr].join('\n')}`);
    }
    await sleep(100);
  }
  return { pid: child.pid!, lines: () => [...lines], kill: () => stopWith('SIGKILL'), stop: () => stopWith('SIGTERM') };
}
