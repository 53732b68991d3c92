/**
 * A helper script of the benchmark (a competing server, the load generator, the SDK floor) in
 * its own Node process, so its CPU and memory are its own and never the app's or the
 * benchmark's. The script announces itself with one `READY <json>` line on stdout; after that
 * it may answer requests written to its stdin, one JSON line in, one JSON line out.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

const PROJECT_DIR = path.resolve(import.meta.dirname, '..', '..');
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;

export interface ChildScript<Ready> {
  pid: number;
  ready: Ready;
  /** Sends one request line and waits for its one answer line. Requests are answered in order. */
  ask<Answer>(request: unknown): Promise<Answer>;
  stop(): Promise<void>;
}

/** `script` is relative to the project (e.g. `bench/servers/naiveAvatarServer.ts`); `env` is added to a minimal environment. */
export async function startChildScript<Ready>(
  script: string,
  env: Record<string, string> = {},
): Promise<ChildScript<Ready>> {
  const child = spawn(process.execPath, [script], {
    cwd: PROJECT_DIR,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const lines = createInterface({ input: child.stdout! });
  const waiting: Array<{ resolve(line: string): void; reject(error: Error): void }> = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve())).finally(() => {
    process.removeListener('exit', killOnExit);
    for (const waiter of waiting.splice(0)) waiter.reject(new Error(`${script} exited: ${stderr.trim().slice(-1500)}`));
  });
  lines.on('line', (line) => waiting.shift()?.resolve(line));
  const nextLine = () => new Promise<string>((resolve, reject) => waiting.push({ resolve, reject }));

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    if (!(await Promise.race([exited.then(() => true), sleep(STOP_GRACE_MS, false)]))) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  const first = await Promise.race([nextLine(), sleep(READY_TIMEOUT_MS).then(() => `timeout`)]).catch(
    (error: Error) => `failed ${error.message}`,
  );
  if (!first.startsWith('READY ')) {
    await stop();
    throw new Error(`${script} did not start: ${first.slice(0, 2000)} ${stderr.trim().slice(-1500)}`);
  }
  return {
    pid: child.pid!,
    ready: JSON.parse(first.slice('READY '.length)) as Ready,
    async ask<Answer>(request: unknown) {
      const answer = nextLine();
      child.stdin!.write(`${JSON.stringify(request)}\n`);
      const parsed = JSON.parse(await answer) as Answer & { error?: string };
      if (parsed.error) throw new Error(`${script}: ${parsed.error}`);
      return parsed;
    },
    stop,
  };
}

/** The child's side: announce readiness, then answer each request line with `handle`'s result (errors become `{ error }`). */
export function serveRequests(ready: unknown, handle: (request: Record<string, unknown>) => Promise<unknown>): void {
  process.stdout.write(`READY ${JSON.stringify(ready)}\n`);
  const input = createInterface({ input: process.stdin });
  let queue = Promise.resolve();
  input.on('line', (line) => {
    queue = queue.then(async () => {
      let answer: unknown;
      try {
        answer = await handle(JSON.parse(line) as Record<string, unknown>);
      } catch (error) {
        answer = { error: error instanceof Error ? error.message : String(error) };
      }
      process.stdout.write(`${JSON.stringify(answer)}\n`);
    });
  });
  input.on('close', () => process.exit(0));
}
