/**
 * The POST policy is enforced by the S3 server itself: exact key, size range, exact type,
 * expiry. Only MinIO enforces policies (s3rver ignores them), so those cases run only there;
 * CI always uses MinIO. Each refusal leaves nothing in the bucket.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { createPostSigner } from '../../src/storage/presignedPost.ts';
import { createS3Client } from '../../src/storage/s3Client.ts';
import { createBucket, s3SettingsFor } from '../support/s3Server.ts';
import { listObjects } from '../support/storedState.ts';

const server = inject('s3');
const notMinio = server.kind !== 'minio';

interface PostRequest {
  bucket: string;
  key: string;
  contentType: string;
  maxBytes: number;
  expiresSeconds: number;
  /** The signer's clock, as an offset from now (the client's clock-skew correction). */
  clockOffsetMs: number;
}

async function bucketAndRequest(overrides: Partial<PostRequest> = {}): Promise<PostRequest> {
  const bucket = `post-${randomBytes(4).toString('hex')}`;
  await createBucket(server, bucket);
  return {
    bucket,
    key: `incoming/u1/${randomBytes(8).toString('hex')}`,
    contentType: 'image/jpeg',
    maxBytes: 1024,
    expiresSeconds: 600,
    clockOffsetMs: 0,
    ...overrides,
  };
}

async function post(
  request: PostRequest,
  body: Buffer,
  change: (form: FormData) => void = () => undefined,
): Promise<Response> {
  const client = createS3Client(s3SettingsFor(server, request.bucket));
  client.config.systemClockOffset = request.clockOffsetMs;
  const sign = createPostSigner({ client, bucket: request.bucket, expiresSeconds: request.expiresSeconds });
  const { url, fields } = await sign(request.key, request.contentType, request.maxBytes);
  client.destroy();
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  change(form);
  form.set('file', new Blob([new Uint8Array(body)], { type: form.get('Content-Type') as string }), 'x');
  return fetch(url, { method: 'POST', body: form });
}

describe('presigned POST policy', () => {
  it('lets a browser upload exactly the allowed object', async () => {
    const request = await bucketAndRequest();
    const response = await post(request, randomBytes(800));
    expect(response.status).toBeLessThan(300);
    expect(await listObjects(server, request.bucket)).toEqual([request.key]);
  });

  it.skipIf(notMinio)('refuses a file over the size range (MinIO only: s3rver ignores policies)', async () => {
    const request = await bucketAndRequest();
    const response = await post(request, randomBytes(2048));
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('EntityTooLarge');
    expect(await listObjects(server, request.bucket)).toEqual([]);
  });

  it.skipIf(notMinio)('refuses another key (MinIO only: s3rver ignores policies)', async () => {
    const request = await bucketAndRequest();
    const response = await post(request, randomBytes(100), (form) => form.set('key', 'avatars/u2-hijacked.webp'));
    expect(response.status).toBe(403);
    expect(await listObjects(server, request.bucket)).toEqual([]);
  });

  it.skipIf(notMinio)(
    'refuses another Content-Type such as text/html (MinIO only: s3rver ignores policies)',
    async () => {
      const request = await bucketAndRequest();
      const response = await post(request, Buffer.from('<script>alert(1)</script>'), (form) =>
        form.set('Content-Type', 'text/html'),
      );
      expect(response.status).toBe(403);
      expect(await listObjects(server, request.bucket)).toEqual([]);
    },
  );

  it.skipIf(notMinio)('refuses an expired policy (MinIO only: s3rver ignores policies)', async () => {
    const request = await bucketAndRequest({ clockOffsetMs: -20 * 60_000, expiresSeconds: 600 });
    const response = await post(request, randomBytes(100));
    expect(response.status).toBe(403);
    expect(await listObjects(server, request.bucket)).toEqual([]);
  });
});
