/**
 * The MinIO half of the S3 test server: finding the binary, running it as a child process on
 * free ports with throwaway credentials, and stopping it without leaving a process or its data
 * behind. MinIO is the faithful server (it checks keys and enforces policies), so CI uses it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, rmSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { S3TestServer } from './s3Server.ts';

const MINIO_READY_TIMEOUT_MS = 30_000;
const MINIO_STOP_GRACE_MS = 5_000;
const OUTPUT_TAIL_CHARS = 8_000;

/** MINIO_BIN when set, else `minio` on PATH, else ~/go/bin/minio (where `go install` puts it). */
export function findMinioBinary(): string | undefined {
  const fromEnv = process.env.MINIO_BIN;
  if (fromEnv) return fromEnv;
  const pathDirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  const candidates = [...pathDirs.map((dir) => join(dir, 'minio')), join(homedir(), 'go', 'bin', 'minio')];
  return candidates.find(isExecutableFile);
}

export function missingMinioMessage(): string {
  return [
    'MinIO is required (S3_TEST_SERVER=minio) but no binary was found.',
    'Looked at MINIO_BIN, `minio` on PATH and ~/go/bin/minio.',
    'Install it with `go install github.com/minio/minio@<pinned version in .ci/run>` or set MINIO_BIN.',
  ].join(' ');
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Binds port 0 on 127.0.0.1 and releases it; a tiny race with other processes is accepted. */
async function findFreePort(avoid: number[] = []): Promise<number> {
  for (;;) {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (!avoid.includes(port)) return port;
  }
}

/** Fresh data directory, ports and root keys per call, so parallel test workers never share state. */
export async function startMinio(binary: string, region: string): Promise<S3TestServer> {
  if (!isExecutableFile(binary)) throw new Error(`MinIO binary ${binary} is not an executable file`);
  const dataDir = await mkdtemp(join(tmpdir(), 'vv-minio-'));
  const apiPort = await findFreePort();
  const consolePort = await findFreePort([apiPort]);
  const endpoint = `http://127.0.0.1:${apiPort}`;
  const accessKeyId = `vv${randomBytes(6).toString('hex')}`;
  const secretAccessKey = randomBytes(24).toString('hex');
  const args = [
    'server',
    dataDir,
    '--address',
    `127.0.0.1:${apiPort}`,
    '--console-address',
    `127.0.0.1:${consolePort}`,
  ];
  const env = {
    ...process.env,
    MINIO_ROOT_USER: accessKeyId,
    MINIO_ROOT_PASSWORD: secretAccessKey,
    MINIO_BROWSER: 'off',
    MINIO_UPDATE: 'off',
  };

  let running: RunningProcess | undefined;
  const launch = async (): Promise<void> => {
    running = spawnWithOutputTail(binary, args, env, dataDir);
    try {
      await waitForMinioReady(endpoint, running);
    } catch (error) {
      await stopProcess(running);
      running = undefined;
      throw error;
    }
  };
  const pause = async (): Promise<void> => {
    if (running) await stopProcess(running);
    running = undefined;
  };

  try {
    await launch();
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    kind: 'minio',
    endpoint,
    region,
    accessKeyId,
    secretAccessKey,
    pause,
    restart: async () => {
      await pause();
      await launch();
    },
    stop: async () => {
      await pause();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

interface RunningProcess {
  child: ChildProcess;
  exited: Promise<void>;
  outputTail(): string;
}

function spawnWithOutputTail(binary: string, args: string[], env: NodeJS.ProcessEnv, dataDir: string): RunningProcess {
  const child = spawn(binary, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const keepTail = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on('data', keepTail);
  child.stderr?.on('data', keepTail);
  // A worker that dies without calling stop() must not leave MinIO and its data behind.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (error) => {
      keepTail(Buffer.from(`\n${error.message}\n`));
      resolve();
    });
  }).finally(() => process.removeListener('exit', killOnExit));
  return { child, exited, outputTail: () => tail };
}

async function waitForMinioReady(endpoint: string, running: RunningProcess): Promise<void> {
  const deadline = Date.now() + MINIO_READY_TIMEOUT_MS;
  let exited = false;
  void running.exited.then(() => {
    exited = true;
  });
  while (Date.now() < deadline && !exited) {
    try {
      const response = await fetch(`${endpoint}/minio/health/live`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
    } catch {
      // Not listening yet; keep polling until the deadline.
    }
    await sleep(200);
  }
  const why = exited
    ? `exited with code ${running.child.exitCode ?? running.child.signalCode}`
    : `was not ready after ${MINIO_READY_TIMEOUT_MS / 1000} s`;
  throw new Error(`MinIO at ${endpoint} ${why}. Its output:\n${running.outputTail()}`);
}

async function stopProcess(running: RunningProcess): Promise<void> {
  const { child, exited } = running;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const stoppedInTime = await Promise.race([exited.then(() => true), sleep(MINIO_STOP_GRACE_MS, false)]);
  if (!stoppedInTime) {
    child.kill('SIGKILL');
    await exited;
  }
}
