/**
 * The s3rver half of the S3 test server: an in-process fake for machines without MinIO, so a
 * laptop with only Node can still run the storage tests. It accepts any keys and ignores
 * policies, which is why tests that need either are MinIO-only.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3TestServer } from './s3Server.ts';

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

/** Keeps the first run's port, so restart() comes back at the endpoint clients already hold. */
export async function startS3rver(region: string): Promise<S3TestServer> {
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
    kind: 's3rver',
    endpoint: `http://127.0.0.1:${port}`,
    region,
    ...S3RVER_CREDENTIALS,
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
