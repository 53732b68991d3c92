/**
 * storage:check says which URL mode fits the bucket it finds: a publicly readable bucket fits
 * public mode; a private one fails public mode with "switch to signed or proxy", passes signed
 * mode when a presigned GET (signed by the code pages use) loads, and passes proxy mode
 * without any public read. Private buckets need MinIO: s3rver serves everything anonymously.
 */
import { randomBytes } from 'node:crypto';
import { PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import { describe, expect, inject, it } from 'vitest';
import type { S3Settings, UrlMode } from '../../src/config.ts';
import { publicBaseUrlFor } from '../../src/storage/publicBaseUrl.ts';
import { diagnoseS3, type S3Diagnosis } from '../../src/storage/diagnoseS3.ts';
import { policyJson, publicReadBucketPolicy } from '../../src/storage/diagnosis/policies.ts';
import { createS3Client } from '../../src/storage/s3Client.ts';
import { urlSignerFor } from '../../src/storage/storageFromConfig.ts';
import { createBucket, makeS3Client } from '../support/s3Server.ts';
import { runStorageCheck } from '../support/storageCheckCli.ts';

const s3 = inject('s3');
const notMinio = s3.kind !== 'minio';
const TEST_MS = 15_000;

function settingsFor(bucket: string, secretAccessKey = s3.secretAccessKey): S3Settings {
  return {
    bucket,
    region: s3.region,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey },
    cdnBaseUrl: undefined,
    backup: undefined,
  };
}

async function diagnose(
  bucket: string,
  images: UrlMode,
  videos: UrlMode = images,
  signingSecret?: string,
): Promise<S3Diagnosis> {
  const settings = settingsFor(bucket);
  const client = createS3Client(settings, { connectionTimeoutMs: 1_000, requestTimeoutMs: 1_500, maxAttempts: 2 });
  try {
    return await diagnoseS3({
      client,
      bucket,
      publicBaseUrl: publicBaseUrlFor(settings),
      publicReadTimeoutMs: 2_000,
      urlModes: { images, videos },
      signUrl: urlSignerFor(settingsFor(bucket, signingSecret), 60),
    });
  } finally {
    client.destroy();
  }
}

async function newBucket(publicRead: boolean): Promise<string> {
  const bucket = `mode-${randomBytes(4).toString('hex')}`;
  await createBucket(s3, bucket);
  if (publicRead && s3.kind === 'minio') {
    const admin = makeS3Client(s3);
    await admin
      .send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: policyJson(publicReadBucketPolicy(bucket)) }))
      .finally(() => admin.destroy());
  }
  return bucket;
}

const publicRead = (diagnosis: S3Diagnosis) => diagnosis.steps.find((step) => step.id === 'publicRead')!;

describe('storage:check names the URL mode that fits', () => {
  it('a publicly readable bucket: public fits', { timeout: TEST_MS }, async () => {
    const diagnosis = await diagnose(await newBucket(true), 'public');
    expect(diagnosis.usable).toBe(true);
    expect(diagnosis.anonymousRead).toBe('allowed');
    expect(diagnosis.modeAdvice).toMatch(/^Public read works: IMAGE_URL_MODE=public fits/);
  });

  it.skipIf(notMinio)(
    'a private bucket in public mode: switch to signed or proxy (MinIO only: s3rver ignores policies)',
    { timeout: TEST_MS },
    async () => {
      const diagnosis = await diagnose(await newBucket(false), 'public');
      expect(diagnosis.usable).toBe(false);
      expect(diagnosis.anonymousRead).toBe('blocked');
      expect(publicRead(diagnosis).fix).toMatch(/switch IMAGE_URL_MODE \(and VIDEO_URL_MODE\) to signed/);
      expect(diagnosis.modeAdvice).toMatch(
        /Public read is blocked.*switch IMAGE_URL_MODE \(and VIDEO_URL_MODE\) to signed or proxy/,
      );
    },
  );

  it.skipIf(notMinio)(
    'a private bucket in signed mode: a presigned GET of the test object loads (MinIO only)',
    { timeout: TEST_MS },
    async () => {
      const diagnosis = await diagnose(await newBucket(false), 'signed');
      expect(diagnosis.steps.map((step) => step.ok)).toEqual([true, true, true, true, true]);
      expect(diagnosis.usable).toBe(true);
      expect(publicRead(diagnosis).detail).toMatch(/HTTP 403\. Anonymous read is refused: the bucket is private/);
      expect(publicRead(diagnosis).detail).toMatch(
        /Fetched the signed URL .*\/avatars\/storage-check-[0-9a-f]+\.txt\?X-Amz-Signature=…: HTTP 200\. The bytes match/,
      );
      expect(diagnosis.modeAdvice).toBe('The bucket is private and signed URLs load: IMAGE_URL_MODE=signed fits.');
    },
  );

  it.skipIf(notMinio)(
    'signed mode whose signature S3 refuses says why (MinIO only: s3rver accepts any signature)',
    { timeout: TEST_MS },
    async () => {
      const diagnosis = await diagnose(await newBucket(false), 'signed', 'signed', 'not-the-secret-key');
      expect(diagnosis.usable).toBe(false);
      const step = publicRead(diagnosis);
      expect(step.detail).toMatch(/SignatureDoesNotMatch/);
      expect(step.cause).toMatch(/does not accept the signature/);
      expect(diagnosis.modeAdvice).toMatch(/Signed URLs do not load.*IMAGE_URL_MODE=proxy/);
    },
  );

  it('proxy mode needs no public read', { timeout: TEST_MS }, async () => {
    const diagnosis = await diagnose(await newBucket(false), 'proxy');
    expect(diagnosis.usable).toBe(true);
    expect(publicRead(diagnosis).detail).toMatch(/Proxy mode needs no access from browsers to the bucket/);
    if (!notMinio)
      expect(diagnosis.modeAdvice).toBe(
        'The bucket is private, and IMAGE_URL_MODE=proxy needs no public read: it fits.',
      );
  });

  it.skipIf(notMinio)(
    'public images with private videos: the printed policy leaves uploads/ out (MinIO only)',
    { timeout: TEST_MS },
    async () => {
      const bucket = await newBucket(false);
      const diagnosis = await diagnose(bucket, 'public', 'signed');
      expect(diagnosis.usable).toBe(false);
      const fix = publicRead(diagnosis).fix ?? '';
      expect(fix).toContain(`arn:aws:s3:::${bucket}/avatars/*`);
      expect(fix).not.toContain(`arn:aws:s3:::${bucket}/uploads/*`);
      expect(publicRead(diagnosis).detail).toMatch(/Fetched the signed URL .*HTTP 200/);
    },
  );
});

describe.skipIf(notMinio)('npm run storage:check in signed mode (MinIO only: needs a private bucket)', () => {
  it('passes on a private bucket, says signed fits, exits 0 and never prints the secret', {
    timeout: 30_000,
  }, async () => {
    const bucket = await newBucket(false);
    const { exitCode, output } = await runStorageCheck(s3, bucket, { IMAGE_URL_MODE: 'signed' });
    expect(output).toContain('URL modes:    images signed (IMAGE_URL_MODE), videos signed (VIDEO_URL_MODE)');
    expect(output).toContain('✓ 4. Load it as a browser would');
    expect(output).toContain('URL mode: The bucket is private and signed URLs load: IMAGE_URL_MODE=signed fits.');
    expect(output).toMatch(/✓ S3 is usable: .* browsers load them from signed URLs of /);
    expect(output).not.toContain(s3.secretAccessKey);
    expect(exitCode).toBe(0);
  });
});
