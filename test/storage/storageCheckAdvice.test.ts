/**
 * storage:check's advice, case by case (#15, problem 5), run as an operator runs it: for each
 * failure the exact cause and fix it prints, and no later step claiming success when an earlier
 * one failed. MinIO only: s3rver accepts wrong keys and serves private buckets to anyone.
 * A missing CORS rule is the one case MinIO cannot produce (it answers preflights for any
 * origin): test/storage/corsCheck.test.ts asserts its cause and fix against an endpoint that
 * sends no CORS headers.
 */
import { randomBytes } from 'node:crypto';
import { PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { publicReadPolicy } from '../support/bucketPolicy.ts';
import { closedPortEndpoint } from '../support/network.ts';
import { createBucket, makeS3Client } from '../support/s3Server.ts';
import { runStorageCheck } from '../support/storageCheckCli.ts';

const server = inject('s3');
const APP_ORIGIN = 'https://videovote.example.com';

describe.skipIf(server.kind !== 'minio')('storage:check advice (needs MinIO: s3rver accepts wrong keys)', () => {
  let publicBucket: string;
  let privateBucket: string;
  beforeAll(async () => {
    publicBucket = `advice-${randomBytes(4).toString('hex')}`;
    privateBucket = `advice-private-${randomBytes(4).toString('hex')}`;
    await createBucket(server, publicBucket);
    await createBucket(server, privateBucket);
    const admin = makeS3Client(server);
    await admin.send(new PutBucketPolicyCommand({ Bucket: publicBucket, Policy: publicReadPolicy(publicBucket) }));
    admin.destroy();
  });

  const expectNoLaterSuccess = (output: string) => {
    expect(output).not.toContain('✓ Direct uploads');
    expect(output).not.toContain('will work');
    expect(output).not.toContain('✓ S3 is usable');
    expect(output).toContain('- Direct uploads — not checked: the bucket failed the steps above');
  };

  it('wrong secret', { timeout: 30_000 }, async () => {
    const { exitCode, output } = await runStorageCheck(server, publicBucket, {
      AWS_SECRET_ACCESS_KEY: 'not-the-secret-key-at-all',
      APP_ORIGIN,
    });
    expect(exitCode).toBe(1);
    expect(output).toContain('✗ 1. Reach the bucket');
    expect(output).toContain(
      '     Cause: The access key id is known, but the secret key does not belong to it (SignatureDoesNotMatch).\n' +
        '     Fix:   Set AWS_SECRET_ACCESS_KEY to the secret created together with AWS_ACCESS_KEY_ID; copy it again without stray spaces or quotes. A lost secret cannot be shown again: create a new access key.\n',
    );
    expect(output).toContain('- 2. Write a test object — Not tried: step 1 failed.');
    expect(output).not.toContain('not-the-secret-key-at-all');
    expectNoLaterSuccess(output);
  });

  it('missing bucket', { timeout: 30_000 }, async () => {
    const { exitCode, output } = await runStorageCheck(server, 'no-such-bucket-here', { APP_ORIGIN });
    expect(exitCode).toBe(1);
    expect(output).toContain(
      '     Cause: Bucket "no-such-bucket-here" does not exist at this endpoint.\n' +
        "     Fix:   Create the bucket (S3 console → Create bucket, or `aws s3 mb s3://no-such-bucket-here`), or set AWS_BUCKET_NAME to an existing bucket's exact name. If the bucket exists with another provider, AWS_ENDPOINT_URL points at the wrong service.\n",
    );
    expectNoLaterSuccess(output);
  });

  it('missing backup bucket', { timeout: 30_000 }, async () => {
    const { exitCode, output } = await runStorageCheck(server, publicBucket, {
      AWS_BACKUP_BUCKET_NAME: 'no-such-backup-bucket',
      AWS_BACKUP_ENDPOINT_URL: server.endpoint,
    });
    expect(exitCode).toBe(1);
    // The primary bucket is fine; the advice names the backup's variables, not AWS_BUCKET_NAME.
    expect(output).toContain('✓ S3 is usable');
    expect(output).toContain(
      '     Cause: Bucket "no-such-backup-bucket" does not exist at this endpoint.\n' +
        "     Fix:   Create the bucket (S3 console → Create bucket, or `aws s3 mb s3://no-such-backup-bucket`), or set AWS_BACKUP_BUCKET_NAME to an existing bucket's exact name. If the bucket exists with another provider, AWS_BACKUP_ENDPOINT_URL points at the wrong service.\n",
    );
    expect(output).not.toMatch(/set AWS_BUCKET_NAME/);
    expect(output).toContain('✗ The backup bucket "no-such-backup-bucket" is not usable');
  });

  it('private bucket in public mode', { timeout: 30_000 }, async () => {
    const { exitCode, output } = await runStorageCheck(server, privateBucket, { APP_ORIGIN });
    expect(exitCode).toBe(1);
    expect(output).toContain('✗ 4. Load it as a browser would');
    expect(output).toContain(
      '     Cause: Public read is blocked by the bucket policy / Block Public Access: anonymous requests get 403, so every image would show as broken in browsers.\n' +
        `     Fix:   Browsers load images from ${server.endpoint}/${privateBucket}, so anonymous reads of the objects must be allowed. Either:\n`,
    );
    expect(output).toContain(
      'URL mode: Public read is blocked, so IMAGE_URL_MODE=public shows broken images: switch IMAGE_URL_MODE (and VIDEO_URL_MODE) to signed or proxy, or allow public read with the bucket policy above.',
    );
    expect(output).not.toContain('✓ S3 is usable');
    expect(output).toContain('✗ S3 is not usable as configured: step 4 (Load it as a browser would) failed.');
  });

  it('unreachable endpoint', { timeout: 60_000 }, async () => {
    const { exitCode, output } = await runStorageCheck(server, publicBucket, {
      AWS_ENDPOINT_URL: await closedPortEndpoint(),
      APP_ORIGIN,
    });
    expect(exitCode).toBe(1);
    expect(output).toContain(
      '     Cause: Nothing accepted the connection (connection refused): the endpoint address or port is wrong, or the S3 server is down.\n' +
        "     Fix:   Check AWS_ENDPOINT_URL: for AWS itself leave it unset and set AWS_REGION to the bucket's region; for MinIO, R2, B2 or Spaces use the exact URL your provider documents (http or https, host and port). Then make sure this machine can reach it (for example with curl) and that the S3 service is running.\n",
    );
    expectNoLaterSuccess(output);
    expect(output).not.toContain('CORS');
  });
});
