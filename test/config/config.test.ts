import { describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, loadConfig } from '../../src/config.ts';

const load = (env: Record<string, string>) => loadConfig(env, '/srv/app');

describe('configuration', () => {
  it('runs with no environment at all: embedded database, local images, port 3000', () => {
    const config = load({});
    expect(config).toMatchObject({
      env: 'development',
      port: 3000,
      databaseUrl: undefined,
      dataDir: '/srv/app/data',
      s3: undefined,
    });
    expect(config.localStorageDir).toBe('/srv/app/static');
    // Issue #12: 20 MB by default, so a 48-megapixel phone JPEG (12–15 MB) fits.
    expect(config.maxImageBytes).toBe(20 * 1024 * 1024);
  });

  it('reads the seed variables for S3, path-style by default for a custom endpoint', () => {
    const config = load({
      USE_CLOUD_STORAGE: 'true',
      AWS_BUCKET_NAME: 'vv-images',
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'very-secret',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9000/',
      CDN_BASE_URL: 'https://cdn.example.com/',
    });
    expect(config.s3).toEqual({
      bucket: 'vv-images',
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:9000',
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'very-secret' },
      cdnBaseUrl: 'https://cdn.example.com',
      backup: undefined,
    });
  });

  it('reports every problem at once, by variable name', () => {
    const error = (() => {
      try {
        load({
          NODE_ENV: 'production',
          PORT: 'eighty',
          USE_CLOUD_STORAGE: 'maybe',
          MAX_IMAGE_SIZE_MB: '0',
          DATABASE_URL: 'mysql://x',
        });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['PORT', 'USE_CLOUD_STORAGE', 'MAX_IMAGE_SIZE_MB', 'DATABASE_URL', 'SESSION_SECRET'])
      expect(problems).toContain(name);
  });

  it('requires a bucket and paired keys when cloud storage is on', () => {
    expect(() => load({ USE_CLOUD_STORAGE: 'true', AWS_ACCESS_KEY_ID: 'only-half' })).toThrow(
      /AWS_BUCKET_NAME is required[\s\S]*AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together/,
    );
    expect(() => load({ USE_CLOUD_STORAGE: 'true', AWS_BUCKET_NAME: 'Bad_Bucket' })).toThrow(/not a valid bucket name/);
  });

  it('never puts secrets in the printable summary', () => {
    const config = load({
      USE_CLOUD_STORAGE: 'yes',
      AWS_BUCKET_NAME: 'vv-images',
      AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'very-secret',
      SESSION_SECRET: 'x'.repeat(40),
    });
    const printed = JSON.stringify(describeConfig(config));
    expect(printed).not.toContain('very-secret');
    expect(printed).not.toContain('AKIAEXAMPLE');
    expect(printed).not.toContain('x'.repeat(40));
    expect(printed).toContain('vv-images');
  });

  it('reads the abuse limits and trusts one proxy hop in production only, unless told otherwise', () => {
    expect(load({})).toMatchObject({
      dailyUploadBytes: 1024 * 1024 * 1024,
      votesPerMinute: 30,
      loginAttemptsPerAccount: 10,
      loginAttemptsPerIp: 50,
      trustProxyHops: 0,
    });
    expect(
      load({ NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(40), ALLOW_EMBEDDED_DATABASE: 'true' }).trustProxyHops,
    ).toBe(1);
    expect(load({ DAILY_UPLOAD_MB: '3', TRUST_PROXY_HOPS: '2' })).toMatchObject({
      dailyUploadBytes: 3 * 1024 * 1024,
      trustProxyHops: 2,
    });
    expect(() => load({ TRUST_PROXY_HOPS: 'yes', DAILY_UPLOAD_MB: '0', LOGIN_ATTEMPTS_PER_IP: '-1' })).toThrow(
      /DAILY_UPLOAD_MB[\s\S]*LOGIN_ATTEMPTS_PER_IP[\s\S]*TRUST_PROXY_HOPS/,
    );
  });
});
