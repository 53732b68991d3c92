import { describe, expect, it } from 'vitest';
import { describeConfig, loadConfig } from '../../src/config.ts';

const load = (env: Record<string, string>) => loadConfig(env, '/srv/app');
const S3_ENV = {
  USE_CLOUD_STORAGE: 'true',
  AWS_BUCKET_NAME: 'vv-images',
  AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'very-secret',
};

describe('delivery mode configuration', () => {
  it('defaults to public URLs, videos following images, one-hour signing windows', () => {
    expect(load({}).mediaDelivery).toEqual({
      imageUrlMode: 'public',
      videoUrlMode: 'public',
      signedUrlWindowMinutes: 60,
    });
    expect(load({ ...S3_ENV, IMAGE_URL_MODE: 'Proxy' }).mediaDelivery).toMatchObject({
      imageUrlMode: 'proxy',
      videoUrlMode: 'proxy',
    });
    expect(load({ ...S3_ENV, VIDEO_URL_MODE: 'signed', SIGNED_URL_WINDOW_MINUTES: '15' }).mediaDelivery).toEqual({
      imageUrlMode: 'public',
      videoUrlMode: 'signed',
      signedUrlWindowMinutes: 15,
    });
  });

  it('names each bad value, and refuses signed mode without keys to sign with', () => {
    expect(() => load({ IMAGE_URL_MODE: 'private', VIDEO_URL_MODE: 'cdn', SIGNED_URL_WINDOW_MINUTES: '6000' })).toThrow(
      /IMAGE_URL_MODE must be one of public, signed, proxy \(got "private"\)[\s\S]*VIDEO_URL_MODE must be one of[\s\S]*SIGNED_URL_WINDOW_MINUTES must be a whole number between 1 and 5040/,
    );
    expect(() => load({ USE_CLOUD_STORAGE: 'true', AWS_BUCKET_NAME: 'vv-images', VIDEO_URL_MODE: 'signed' })).toThrow(
      /"signed" needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/,
    );
    expect(() =>
      load({ USE_CLOUD_STORAGE: 'true', AWS_BUCKET_NAME: 'vv-images', IMAGE_URL_MODE: 'proxy' }),
    ).not.toThrow();
  });

  it('shows the modes in the printable summary, without secrets', () => {
    const printed = describeConfig(load({ ...S3_ENV, IMAGE_URL_MODE: 'signed', VIDEO_URL_MODE: 'proxy' }));
    expect(printed.urlModes).toEqual({ images: 'signed', videos: 'proxy', signedUrlWindowMinutes: 60 });
    expect(JSON.stringify(printed)).not.toContain('very-secret');
    expect(describeConfig(load({})).urlModes).toBe('local files are served under /static');
  });
});
