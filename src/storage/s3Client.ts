/**
 * Builds the S3 client with the settings that matter in production (see S3-NOTES.md):
 * explicit timeouts so a dead endpoint costs seconds, bounded retries, and — for
 * S3-compatible endpoints — checksums only when the API requires them, because the SDK's
 * default CRC32 trailers break R2, B2 and older MinIO releases.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { S3Settings } from '../config.ts';
import { Crc64NvmeWasm } from './crc64nvmeWasm.ts';

export interface S3ClientTimeouts {
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
  maxAttempts: number;
}

export const DEFAULT_S3_TIMEOUTS: S3ClientTimeouts = {
  connectionTimeoutMs: 2_000,
  // An idle socket, not a whole transfer: a large upload keeps the socket busy. With three
  // attempts a black-holed endpoint costs about ten seconds once, then the breaker opens.
  requestTimeoutMs: 3_000,
  maxAttempts: 3,
};

export function createS3Client(
  settings: Pick<S3Settings, 'region' | 'endpoint' | 'forcePathStyle' | 'credentials'>,
  timeouts: S3ClientTimeouts = DEFAULT_S3_TIMEOUTS,
): S3Client {
  const customEndpoint = settings.endpoint !== undefined;
  return new S3Client({
    region: settings.region,
    endpoint: settings.endpoint,
    forcePathStyle: settings.forcePathStyle,
    credentials: settings.credentials,
    maxAttempts: timeouts.maxAttempts,
    retryMode: 'standard',
    // Every upload sends a CRC64NVME (adapters/s3.ts); the SDK's JavaScript one cost a form video 0.66 CPU s per 100 MB.
    checksumAlgorithms: { CRC64NVME: Crc64NvmeWasm },
    ...(customEndpoint && {
      requestChecksumCalculation: 'WHEN_REQUIRED' as const,
      responseChecksumValidation: 'WHEN_REQUIRED' as const,
    }),
    requestHandler: new NodeHttpHandler({
      connectionTimeout: timeouts.connectionTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      throwOnRequestTimeout: true,
    }),
  });
}
