/**
 * Starts a real S3-compatible server for tests: MinIO when a binary is available (CI),
 * otherwise s3rver in-process (a laptop with only Node). See /work/shared/design/S3-NOTES.md
 * for why the two are not interchangeable: s3rver accepts wrong keys and ignores policies.
 * Tests import only this module; each server's process handling lives in its own file.
 */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { findMinioBinary, missingMinioMessage, startMinio } from './minioServer.ts';
import { startS3rver } from './s3rverServer.ts';

export { findMinioBinary } from './minioServer.ts';

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
    const server = await startMinio(binary, REGION);
    process.stderr.write(`[s3-test-server] using MinIO ${binary} at ${server.endpoint}\n`);
    return server;
  }
  const server = await startS3rver(REGION);
  process.stderr.write(
    `[s3-test-server] using s3rver (MinIO not found; auth and policies are not enforced) at ${server.endpoint}\n`,
  );
  return server;
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

/** App-side S3 settings (as config.ts would build them) for a bucket on a test server. */
export function s3SettingsFor(server: S3Connection, bucket: string, endpoint = server.endpoint) {
  return {
    bucket,
    region: server.region,
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    cdnBaseUrl: undefined,
  };
}
