/**
 * Starts a real S3-compatible server for tests: MinIO when a binary is available (CI),
 * otherwise s3rver in-process (a laptop with only Node). See /work/shared/design/S3-NOTES.md
 * for why the two are not interchangeable: s3rver accepts wrong keys and ignores policies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, rmSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { createServer, type AddressInfo } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

export type S3ServerKind = 'minio' | 's3rver';

/** What a client needs to reach the server; plain data, so vitest can hand it to workers. */
export interface S3Connection {
  kind: S3ServerKind;
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface S3TestServer extends S3Connection {
  /** Stops the server and deletes its data. Safe to call twice. */
  stop(): Promise<void>;
  /** Stops the server but keeps its port and data, so restart() brings the same objects back. */
  pause(): Promise<void>;
  /** Starts the server again on the same port and data; pauses it first if it is running. */
  restart(): Promise<void>;
}

const REGION = 'us-east-1';
const MINIO_READY_TIMEOUT_MS = 30_000;
const MINIO_STOP_GRACE_MS = 5_000;
const OUTPUT_TAIL_CHARS = 8_000;

/**
 * Starts a server of the requested kind. 'auto' (the default) picks MinIO when
 * findMinioBinary() finds one, else s3rver — unless S3_TEST_SERVER=minio, which makes MinIO
 * mandatory: CI must never pass by silently testing against the less faithful server.
 * Throws when MinIO is required but missing or does not become ready.
 */
export async function startS3Server(opts: { kind?: S3ServerKind | 'auto' } = {}): Promise<S3TestServer> {
  const kind = chooseServerKind(opts.kind ?? 'auto');
  if (kind === 'minio') {
    const binary = findMinioBinary();
    if (!binary) throw new Error(missingMinioMessage());
    const server = await startMinio(binary);
    process.stderr.write(`[s3-test-server] using MinIO ${binary} at ${server.endpoint}\n`);
    return server;
  }
  const server = await startS3rver();
  process.stderr.write(
    `[s3-test-server] using s3rver (MinIO not found; auth and policies are not enforced) at ${server.endpoint}\n`,
  );
  return server;
}

/** MINIO_BIN when set, else `minio` on PATH, else ~/go/bin/minio (where `go install` puts it). */
export function findMinioBinary(): string | undefined {
  const fromEnv = process.env.MINIO_BIN;
  if (fromEnv) return fromEnv;
  const pathDirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  const candidates = [...pathDirs.map((dir) => join(dir, 'minio')), join(homedir(), 'go', 'bin', 'minio')];
  return candidates.find(isExecutableFile);
}

/** Creates a bucket with the server's root credentials. Throws if it already exists. */
export async function createBucket(server: S3Connection, bucket: string): Promise<void> {
  const client = makeS3Client(server);
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } finally {
    client.destroy();
  }
}

/** An SDK client configured the way S3-compatible servers need (see S3-NOTES.md). */
export function makeS3Client(server: S3Connection): S3Client {
  return new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

function chooseServerKind(requested: S3ServerKind | 'auto'): S3ServerKind {
  if (requested !== 'auto') return requested;
  const forced = process.env.S3_TEST_SERVER;
  if (forced === 'minio' || forced === 's3rver') return forced;
  if (forced) throw new Error(`S3_TEST_SERVER must be "minio" or "s3rver", got "${forced}"`);
  return findMinioBinary() ? 'minio' : 's3rver';
}

function missingMinioMessage(): string {
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

// ---------------------------------------------------------------------------------- MinIO

async function startMinio(binary: string): Promise<S3TestServer> {
  if (!isExecutableFile(binary)) throw new Error(`MinIO binary ${binary} is not an executable file`);
  const dataDir = await mkdtemp(join(tmpdir(), 'vv-minio-'));
  const apiPort = await findFreePort();
  const consolePort = await findFreePort([apiPort]);
  const endpoint = `http://127.0.0.1:${apiPort}`;
  const accessKeyId = `vv${randomBytes(6).toString('hex')}`;
  const secretAccessKey = randomBytes(24).toString('hex');
  const args = [
    'server', dataDir,
    '--address', `127.0.0.1:${apiPort}`,
    '--console-address', `127.0.0.1:${consolePort}`,
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
    kind: 'minio', endpoint, region: REGION, accessKeyId, secretAccessKey,
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

// --------------------------------------------------------------------------------- s3rver

interface S3rverOptions {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
}

/** The slice of s3rver 3.7.1 we use; the package ships no types. */
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer?: Server;
}

type S3rverConstructor = new (options: S3rverOptions) => S3rverInstance;

// s3rver's credentials are fixed (lib/models/account.js); it does not check them anyway.
const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

async function startS3rver(): Promise<S3TestServer> {
  const require = createRequire(import.meta.url);
  const S3rver = require('s3rver') as S3rverConstructor;
  const directory = await mkdtemp(join(tmpdir(), 'vv-s3rver-'));

  let running: S3rverInstance | undefined;
  let port = 0;
  const launch = async (): Promise<void> => {
    const instance = new S3rver({ address: '127.0.0.1', port, silent: true, directory });
    port = (await instance.run()).port;
    running = instance;
  };
  const pause = async (): Promise<void> => {
    if (!running) return;
    const closed = running.close();
    // close() waits for open sockets; drop keep-alive connections so pausing is immediate.
    running.httpServer?.closeAllConnections();
    await closed;
    running = undefined;
  };

  try {
    await launch();
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  return {
    kind: 's3rver', endpoint: `http://127.0.0.1:${port}`, region: REGION, ...S3RVER_CREDENTIALS,
    pause,
    restart: async () => {
      await pause();
      await launch();
    },
    stop: async () => {
      await pause();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
