/**
 * How the app holds up under a slow S3 and a burst of uploads (S3_SLOW_MS, UPLOADS_IN_FLIGHT,
 * UPLOAD_WAIT_SECONDS): when an S3 request counts as slow (the SDK gives up on it and, once
 * its retries are spent, the circuit breaker opens), and how many form uploads one instance
 * takes at once. Problems are recorded by the readers, by variable name.
 */
import type { EnvReaders } from './envReaders.ts';

export interface UploadPressure {
  /** An S3 request not answered within this (plus 4 s per MiB of body) is abandoned as slow. */
  s3SlowAfterMs: number;
  /** Form uploads this instance receives and stores at once; each holds up to an image in memory. */
  uploadsInFlight: number;
  /** How long an upload past that bound waits for a slot before its 503; 0: refused at once. */
  uploadWaitMs: number;
}

const DEFAULT_WAIT_SECONDS = 10;

export function readUploadPressure({ read, positiveInt }: EnvReaders, problems: string[]): UploadPressure {
  const waitRaw = read('UPLOAD_WAIT_SECONDS');
  let waitSeconds = waitRaw === undefined ? DEFAULT_WAIT_SECONDS : Number(waitRaw);
  if (!Number.isInteger(waitSeconds) || waitSeconds < 0 || waitSeconds > 120) {
    problems.push(`UPLOAD_WAIT_SECONDS must be a whole number between 0 and 120 (got "${waitRaw}")`);
    waitSeconds = DEFAULT_WAIT_SECONDS;
  }
  return {
    s3SlowAfterMs: positiveInt('S3_SLOW_MS', 1_500, 60_000),
    uploadsInFlight: positiveInt('UPLOADS_IN_FLIGHT', 8, 1_000),
    uploadWaitMs: waitSeconds * 1000,
  };
}
