/**
 * Builds the S3 client with the settings that matter in production (see S3-NOTES.md):
 * explicit timeouts so a dead or slow endpoint costs seconds, bounded retries, and — for
 * S3-compatible endpoints — checksums only when the API requires them, because the SDK's
 * default CRC32 trailers break R2, B2 and older MinIO releases.
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { S3Settings } from '../config.ts';
import { Crc64NvmeWasm } from './crc64nvmeWasm.ts';
import { BudgetedHttpHandler } from './requestBudget.ts';

export interface S3ClientTimeouts {
  connectionTimeoutMs: number;
  /** How long S3 may take to answer a request, beyond sending its body (requestBudget.ts). */
  requestTimeoutMs: number;
  /** The slowest rate a request's body is allowed to go at; DEFAULT_MIN_BYTES_PER_SECOND when unset. */
  minBytesPerSecond?: number;
  maxAttempts: number;
}

/**
 * AWS's own guideline for small requests is to retry one that has not answered within about
 * 2 s; 1.5 s says "slow" a little sooner, which the upload fallback makes cheap. With three
 * attempts, an endpoint that answers every request after 2 s costs the first upload about
 * five seconds, then the circuit breaker sends the rest straight to the fallback.
 */
export const DEFAULT_SLOW_AFTER_MS = 1_500;

/** A request's body is allowed 4 s per MiB on top (a 5 MiB part: 21.5 s in all). */
export const DEFAULT_MIN_BYTES_PER_SECOND = 256 * 1024;

export const DEFAULT_S3_TIMEOUTS: S3ClientTimeouts = {
  // Connecting is part of answering: a TCP handshake slower than this is a slow endpoint too.
  connectionTimeoutMs: DEFAULT_SLOW_AFTER_MS,
  requestTimeoutMs: DEFAULT_SLOW_AFTER_MS,
  maxAttempts: 3,
};

/** The client timeouts for a slowness threshold (S3_SLOW_MS); the defaults when it is not given. */
export function s3TimeoutsFor(slowAfterMs: number | undefined): S3ClientTimeouts {
  if (slowAfterMs === undefined) return DEFAULT_S3_TIMEOUTS;
  return { ...DEFAULT_S3_TIMEOUTS, connectionTimeoutMs: slowAfterMs, requestTimeoutMs: slowAfterMs };
}

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
    requestHandler: new BudgetedHttpHandler({
      connectionTimeoutMs: timeouts.connectionTimeoutMs,
      slowAfterMs: timeouts.requestTimeoutMs,
      minBytesPerSecond: timeouts.minBytesPerSecond ?? DEFAULT_MIN_BYTES_PER_SECOND,
    }),
  });
}
