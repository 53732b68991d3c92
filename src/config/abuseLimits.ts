/**
 * The abuse limits (UPLOADS_PER_MINUTE, DAILY_UPLOAD_MB, VOTES_PER_MINUTE,
 * LOGIN_ATTEMPTS_PER_ACCOUNT, LOGIN_ATTEMPTS_PER_IP): how much one member or one client may
 * do before getting a 429. Problems are recorded by the readers, by variable name.
 */
import type { EnvReaders } from './envReaders.ts';

export interface AbuseLimits {
  /** Uploads one member may start per minute (forms and direct uploads alike). */
  uploadsPerMinute: number;
  /** Bytes one member may upload in any 24 hours (DAILY_UPLOAD_MB). */
  dailyUploadBytes: number;
  /** Votes one member may cast or take back per minute. */
  votesPerMinute: number;
  /** Failed logins per typed username, and failed logins + sign-ups per client IP, per 15 minutes. */
  loginAttemptsPerAccount: number;
  loginAttemptsPerIp: number;
}

export function readAbuseLimits({ positiveInt }: EnvReaders): AbuseLimits {
  return {
    uploadsPerMinute: positiveInt('UPLOADS_PER_MINUTE', 20, 10_000),
    dailyUploadBytes: positiveInt('DAILY_UPLOAD_MB', 1024, 1_000_000) * 1024 * 1024,
    votesPerMinute: positiveInt('VOTES_PER_MINUTE', 30, 10_000),
    loginAttemptsPerAccount: positiveInt('LOGIN_ATTEMPTS_PER_ACCOUNT', 10, 10_000),
    loginAttemptsPerIp: positiveInt('LOGIN_ATTEMPTS_PER_IP', 50, 100_000),
  };
}
