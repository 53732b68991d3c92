/**
 * storage:check's CORS preflight: asked of the real S3 server (MinIO answers preflights for
 * any origin by default) and of a bucket endpoint that sends no CORS headers.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { checkDirectUploadCors } from '../../src/storage/diagnosis/corsCheck.js';
import { publicBaseUrlFor } from '../../src/storage/adapters/s3.js';
import { createBucket, s3SettingsFor } from '../support/s3Server.js';

const server = inject('s3');

describe('CORS check for direct uploads', () => {
  it.skipIf(server.kind !== 'minio')('passes when the bucket answers the preflight for the app origin (MinIO: s3rver has no CORS)', async () => {
    const bucket = `cors-${randomBytes(4).toString('hex')}`;
    await createBucket(server, bucket);
    const result = await checkDirectUploadCors({ bucketUrl: publicBaseUrlFor(s3SettingsFor(server, bucket)), appOrigin: 'https://videovote.example.com' });
    expect(result).toMatchObject({ ok: true });
    expect(result.detail).toContain('direct uploads will work');
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
