/** S3_SLOW_MS, UPLOADS_IN_FLIGHT and UPLOAD_WAIT_SECONDS, read by loadConfig, and the S3 client timeouts they give. */
import { describe, expect, it } from 'vitest';
import { type ConfigError, loadConfig } from '../../src/config.ts';
import { DEFAULT_S3_TIMEOUTS, s3TimeoutsFor } from '../../src/storage/s3Client.ts';

const load = (env: Record<string, string>) => loadConfig(env, '/srv/app');

describe('upload pressure settings', () => {
  it('defaults: slow after 1.5 s, 8 uploads in flight, 10 s of waiting for a slot', () => {
    expect(load({})).toMatchObject({ s3SlowAfterMs: 1_500, uploadsInFlight: 8, uploadWaitMs: 10_000 });
    // The default client is the one the threshold gives: connecting and answering within it.
    expect(s3TimeoutsFor(1_500)).toEqual(DEFAULT_S3_TIMEOUTS);
    expect(DEFAULT_S3_TIMEOUTS).toMatchObject({ connectionTimeoutMs: 1_500, requestTimeoutMs: 1_500, maxAttempts: 3 });
  });

  it('reads every variable, a wait of 0 included', () => {
    const config = load({ S3_SLOW_MS: '4000', UPLOADS_IN_FLIGHT: '2', UPLOAD_WAIT_SECONDS: '0' });
    expect(config).toMatchObject({ s3SlowAfterMs: 4_000, uploadsInFlight: 2, uploadWaitMs: 0 });
    expect(s3TimeoutsFor(config.s3SlowAfterMs)).toMatchObject({ connectionTimeoutMs: 4_000, requestTimeoutMs: 4_000 });
  });

  it('names each bad value', () => {
    let problems: string[] = [];
    try {
      load({ S3_SLOW_MS: 'fast', UPLOADS_IN_FLIGHT: '0', UPLOAD_WAIT_SECONDS: '-1' });
    } catch (error) {
      problems = (error as ConfigError).problems;
    }
    expect(problems).toEqual([
      'UPLOAD_WAIT_SECONDS must be a whole number between 0 and 120 (got "-1")',
      'S3_SLOW_MS must be a whole number between 1 and 60000 (got "fast")',
      'UPLOADS_IN_FLIGHT must be a whole number between 1 and 1000 (got "0")',
    ]);
  });
});
