/**
 * Signed URLs are computed synchronously from the key, the settings and the clock: the same
 * string all window long (so browsers and CDNs can cache it), a new one in the next window,
 * and accepted by a real S3 server on a private bucket (MinIO; s3rver ignores signatures).
 */
import { randomBytes } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, inject, it } from 'vitest';
import { createUrlSigner, encodeRfc3986 } from '../../src/storage/signedUrls.ts';
import { bucketBaseUrlFor, urlSignerFor } from '../../src/storage/storageFromConfig.ts';
import { createBucket, makeS3Client, s3SettingsFor } from '../support/s3Server.ts';

const HOUR = 60 * 60 * 1000;
const T0 = Date.UTC(2030, 0, 15, 10, 0, 0);
const credentials = {
  accessKeyId: 'AKIAEXAMPLE000000000',
  secretAccessKey: 'not-a-real-secret-key-000000000000000000',
};

function signerAt(clock: { now: number }, overrides: Partial<Parameters<typeof createUrlSigner>[0]> = {}) {
  return createUrlSigner({
    bucketBaseUrl: 'http://127.0.0.1:9000/vv-images',
    region: 'us-east-1',
    credentials,
    windowMs: HOUR,
    now: () => clock.now,
    ...overrides,
  });
}

describe('signed URLs', () => {
  it('match the presigned URL in the AWS SigV4 documentation', () => {
    // docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html: 24 h expiry = two 12 h windows.
    const sign = createUrlSigner({
      bucketBaseUrl: 'https://examplebucket.s3.amazonaws.com',
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
      windowMs: 12 * HOUR,
      now: () => Date.UTC(2013, 4, 24, 7, 30, 0),
    });
    expect(sign('test.txt')).toBe(
      'https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256' +
        '&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z' +
        '&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404',
    );
  });

  it('gives the identical string all window long, and a new one in the next window', () => {
    const clock = { now: T0 + 5 * 60_000 };
    const sign = signerAt(clock);
    const first = sign('avatars/u1-abc.webp');
    clock.now = T0 + 59 * 60_000 + 59_999;
    expect(sign('avatars/u1-abc.webp')).toBe(first);
    // A second signer (another instance, or after a restart) agrees: nothing depends on process state.
    expect(signerAt({ now: T0 })('avatars/u1-abc.webp')).toBe(first);

    clock.now = T0 + HOUR;
    const next = sign('avatars/u1-abc.webp');
    expect(next).not.toBe(first);
    expect(new URL(first).searchParams.get('X-Amz-Date')).toBe('20300115T100000Z');
    expect(new URL(next).searchParams.get('X-Amz-Date')).toBe('20300115T110000Z');
    // Valid for two windows, so a URL rendered at the end of one still works a whole window later.
    expect(new URL(first).searchParams.get('X-Amz-Expires')).toBe('7200');
  });

  it('signs each key separately and keeps the bucket path of a path-style endpoint', () => {
    const sign = signerAt({ now: T0 });
    const a = new URL(sign('avatars/u1-aaa.webp'));
    const b = new URL(sign('avatars/u1-bbb.webp'));
    expect(a.origin).toBe('http://127.0.0.1:9000');
    expect(a.pathname).toBe('/vv-images/avatars/u1-aaa.webp');
    expect(a.searchParams.get('X-Amz-Signature')).not.toBe(b.searchParams.get('X-Amz-Signature'));
  });

  it('stays correct when its LRU forgets entries', () => {
    const clock = { now: T0 };
    const small = signerAt(clock, { cacheSize: 2 });
    const reference = signerAt(clock);
    const keys = [
      'avatars/a.webp',
      'avatars/b.webp',
      'avatars/c.webp',
      'avatars/a.webp',
      'thumbnails/d.webp',
      'avatars/b.webp',
    ];
    for (const key of keys) expect(small(key)).toBe(reference(key));
  });

  it('encodes as SigV4 requires', () => {
    expect(encodeRfc3986("a b!'()*~._-/")).toBe('a%20b%21%27%28%29%2A~._-%2F');
  });

  it('refuses windows whose two-window lifetime S3 would not accept', () => {
    expect(() => signerAt({ now: T0 }, { windowMs: 4 * 24 * HOUR })).toThrow(/at most 604800 seconds/);
  });
});

const s3 = inject('s3');

describe.skipIf(s3.kind !== 'minio')(
  'signed URLs against MinIO (MinIO only: s3rver neither checks signatures nor denies anonymous reads)',
  () => {
    it('load from a private bucket that refuses anonymous reads, and stop loading once expired', async () => {
      const bucket = `signed-${randomBytes(4).toString('hex')}`;
      await createBucket(s3, bucket);
      const admin = makeS3Client(s3);
      const key = `avatars/u1-${randomBytes(16).toString('hex')}.webp`;
      const body = randomBytes(4096);
      await admin.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentType: 'image/webp',
          CacheControl: 'public, max-age=31536000, immutable',
        }),
      );
      admin.destroy();
      const settings = { ...s3SettingsFor(s3, bucket), backup: undefined };

      const anonymous = await fetch(`${bucketBaseUrlFor(settings)}/${key}`);
      expect(anonymous.status).toBe(403);
      await anonymous.body?.cancel();

      const sign = urlSignerFor(settings, 60)!;
      const url = sign(key);
      expect(sign(key)).toBe(url);
      const signed = await fetch(url);
      expect(signed.status).toBe(200);
      expect(signed.headers.get('content-type')).toBe('image/webp');
      expect(Buffer.from(await signed.arrayBuffer()).equals(body)).toBe(true);

      const ranged = await fetch(url, { headers: { Range: 'bytes=100-199' } });
      expect(ranged.status).toBe(206);
      expect(ranged.headers.get('content-range')).toBe(`bytes 100-199/${body.length}`);
      expect(Buffer.from(await ranged.arrayBuffer()).equals(body.subarray(100, 200))).toBe(true);

      // Signed three windows ago: valid for two, so expired now.
      const stale = urlSignerFor(settings, 60, () => Date.now() - 3 * HOUR)!(key);
      const expired = await fetch(stale);
      expect(expired.status).toBe(403);
      await expired.body?.cancel();

      const forged = url.replace(/X-Amz-Signature=[0-9a-f]{4}/, 'X-Amz-Signature=0000');
      const refused = await fetch(forged);
      expect(refused.status).toBe(403);
      await refused.body?.cancel();
    });
  },
);
