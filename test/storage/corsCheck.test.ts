/**
 * storage:check's CORS check: asked of the real S3 server (MinIO answers preflights for any
 * origin and exposes ETag by default), of a bucket endpoint that sends no CORS headers, and of
 * one that allows the uploads but hides ETag, which only a real PUT's answer can show.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { checkDirectUploadCors } from '../../src/storage/diagnosis/corsCheck.ts';
import { publicBaseUrlFor } from '../../src/storage/publicBaseUrl.ts';
import { createMultipartStore } from '../../src/storage/multipartUploads.ts';
import { createPartUrlSigner } from '../../src/storage/presignedPartUrls.ts';
import { createS3Client } from '../../src/storage/s3Client.ts';
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { createBucket, makeS3Client, s3SettingsFor } from '../support/s3Server.ts';
import { runStorageCheck } from '../support/storageCheckCli.ts';

const server = inject('s3');

describe('CORS check for direct uploads', () => {
  it.skipIf(server.kind !== 'minio')(
    'passes when the bucket answers the preflight for the app origin (MinIO: s3rver has no CORS)',
    async () => {
      const bucket = `cors-${randomBytes(4).toString('hex')}`;
      await createBucket(server, bucket);
      const result = await checkDirectUploadCors({
        bucketUrl: publicBaseUrlFor(s3SettingsFor(server, bucket)),
        appOrigin: 'https://videovote.example.com',
      });
      expect(result).toMatchObject({ ok: true });
      expect(result.detail).toContain('direct uploads will work');
    },
  );

  it.skipIf(server.kind !== 'minio')(
    'sends a real part PUT to see that ETag is exposed (MinIO: s3rver has no CORS)',
    async () => {
      const bucket = `cors-${randomBytes(4).toString('hex')}`;
      await createBucket(server, bucket);
      const settings = s3SettingsFor(server, bucket);
      const bucketUrl = publicBaseUrlFor(settings);
      const multipart = createMultipartStore({ client: createS3Client(settings), bucket });
      const key = `incoming/storage-check-${randomBytes(4).toString('hex')}`;
      const uploadId = await multipart.create(key, 'application/octet-stream');
      const body = 'probe';
      const url = createPartUrlSigner({
        bucketBaseUrl: bucketUrl,
        region: server.region,
        credentials: settings.credentials,
        expiresSeconds: 60,
      })({ key, uploadId, partNumber: 1, contentLength: body.length });
      const result = await checkDirectUploadCors({
        bucketUrl,
        appOrigin: 'https://videovote.example.com',
        signedPut: { url, body },
      });
      await multipart.abort(key, uploadId);
      expect(result).toMatchObject({ ok: true, detail: expect.stringContaining('exposes ETag') });
    },
  );

  it.skipIf(server.kind !== 'minio')(
    'storage:check with APP_ORIGIN reports ETag exposure and leaves no test upload behind (MinIO)',
    { timeout: 30_000 },
    async () => {
      const bucket = `cors-${randomBytes(4).toString('hex')}`;
      await createBucket(server, bucket);
      const { output } = await runStorageCheck(server, bucket, { APP_ORIGIN: 'https://videovote.example.com' });
      expect(output).toContain(
        '✓ Direct uploads: The bucket allows POST and PUT uploads from https://videovote.example.com and exposes ETag',
      );
      const client = makeS3Client(server);
      const listed = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
      client.destroy();
      expect(listed.Uploads ?? []).toEqual([]);
    },
  );

  it('fails when the bucket allows uploads but does not expose ETag to scripts', async () => {
    const hiding = http.createServer((req, res) => {
      const cors = {
        'access-control-allow-origin': req.headers.origin ?? '',
        'access-control-allow-methods': 'POST, PUT',
      };
      res.writeHead(req.method === 'OPTIONS' ? 204 : 200, { ...cors, etag: '"abc"' }).end();
    });
    await new Promise<void>((resolve) => hiding.listen(0, '127.0.0.1', resolve));
    try {
      const bucketUrl = `http://127.0.0.1:${(hiding.address() as AddressInfo).port}/bucket`;
      const result = await checkDirectUploadCors({
        bucketUrl,
        appOrigin: 'https://videovote.example.com',
        signedPut: { url: `${bucketUrl}/incoming/x?partNumber=1`, body: 'probe' },
      });
      expect(result.ok).toBe(false);
      expect(result.detail).toContain('does not expose the ETag header');
      expect(result.fix).toContain('"ExposeHeaders": [\n        "ETag"');
      expect(result.fix).toContain('"PUT"');
    } finally {
      hiding.close();
    }
  });

  it('fails with the rule to add when the bucket sends no CORS headers', async () => {
    const bare = http.createServer((_req, res) => res.writeHead(403).end());
    await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
    try {
      const bucketUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/bucket`;
      const result = await checkDirectUploadCors({ bucketUrl, appOrigin: 'https://videovote.example.com' });
      expect(result.ok).toBe(false);
      expect(result.detail).toContain('Access-Control-Allow-Origin: none');
      expect(result.fix).toContain('"AllowedOrigins": [\n        "https://videovote.example.com"');
      expect(result.fix).toContain('"POST"');
    } finally {
      bare.close();
    }
  });
});
