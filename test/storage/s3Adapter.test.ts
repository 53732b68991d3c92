import { randomBytes } from 'node:crypto';
import { ListObjectsV2Command, PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import { describe, expect, inject, it } from 'vitest';
import { createS3Adapter } from '../../src/storage/adapters/s3.ts';
import { publicBaseUrlFor } from '../../src/storage/publicBaseUrl.ts';
import { createS3Client } from '../../src/storage/s3Client.ts';
import { createBucket, makeS3Client, s3SettingsFor } from '../support/s3Server.ts';
import { closedPortEndpoint } from '../support/network.ts';
import { publicReadPolicy } from '../support/bucketPolicy.ts';
import { runStorageAdapterContract } from './contract.ts';

const server = inject('s3');

const settingsFor = (bucket: string, endpoint?: string) => s3SettingsFor(server, bucket, endpoint);

runStorageAdapterContract(`s3 (${server.kind})`, async () => {
  const bucket = `contract-${randomBytes(4).toString('hex')}`;
  await createBucket(server, bucket);
  const admin = makeS3Client(server);
  // s3rver serves every object anonymously and has no bucket policies; MinIO needs one.
  if (server.kind === 'minio')
    await admin.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: publicReadPolicy(bucket) }));
  const settings = settingsFor(bucket);
  const client = createS3Client(settings);
  return {
    adapter: createS3Adapter({ client, bucket, publicBaseUrl: publicBaseUrlFor(settings) }),
    listRaw: async (folder) => {
      const listed = await admin.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${folder}/` }));
      return (listed.Contents ?? []).map((object) => object.Key ?? '').sort();
    },
    fetchPublic: (url) => fetch(url),
    computesChecksums: server.kind === 'minio',
    cleanup: async () => {
      client.destroy();
      admin.destroy();
    },
  };
});

describe('s3 adapter against a server that is not there', () => {
  it('fails fast with Unreachable and reports itself unavailable', async () => {
    const settings = settingsFor('nowhere', await closedPortEndpoint());
    const client = createS3Client(settings, { connectionTimeoutMs: 500, requestTimeoutMs: 1000, maxAttempts: 2 });
    const adapter = createS3Adapter({ client, bucket: 'nowhere', publicBaseUrl: publicBaseUrlFor(settings) });
    const started = Date.now();
    await expect(
      adapter.put('avatars/x.png', Buffer.from('x'), { contentType: 'image/png', cacheControl: 'no-cache' }),
    ).rejects.toMatchObject({
      code: 'Unreachable',
    });
    expect(await adapter.isAvailable()).toBe(false);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it.skipIf(server.kind !== 'minio')(
    'reports rejected credentials as InvalidCredentials (needs MinIO: s3rver accepts any key)',
    async () => {
      const bucket = `creds-${randomBytes(4).toString('hex')}`;
      await createBucket(server, bucket);
      const settings = {
        ...settingsFor(bucket),
        credentials: { accessKeyId: server.accessKeyId, secretAccessKey: 'wrong-secret-key' },
      };
      const adapter = createS3Adapter({
        client: createS3Client(settings),
        bucket,
        publicBaseUrl: publicBaseUrlFor(settings),
      });
      await expect(
        adapter.put('avatars/x.png', Buffer.from('x'), { contentType: 'image/png', cacheControl: 'no-cache' }),
      ).rejects.toMatchObject({
        code: 'InvalidCredentials',
      });
    },
  );
});

describe('public URLs', () => {
  it('prefers the CDN, then the endpoint, then the AWS bucket host', () => {
    const base = {
      bucket: 'vv-images',
      region: 'eu-west-1',
      endpoint: undefined,
      forcePathStyle: false,
      cdnBaseUrl: undefined,
    };
    expect(publicBaseUrlFor({ ...base, cdnBaseUrl: 'https://cdn.example.com' })).toBe('https://cdn.example.com');
    expect(publicBaseUrlFor({ ...base, endpoint: 'http://127.0.0.1:9000', forcePathStyle: true })).toBe(
      'http://127.0.0.1:9000/vv-images',
    );
    expect(publicBaseUrlFor({ ...base, endpoint: 'https://nyc3.digitaloceanspaces.com' })).toBe(
      'https://vv-images.nyc3.digitaloceanspaces.com',
    );
    expect(publicBaseUrlFor(base)).toBe('https://vv-images.s3.eu-west-1.amazonaws.com');
    expect(publicBaseUrlFor({ ...base, bucket: 'images.example.com' })).toBe(
      'https://s3.eu-west-1.amazonaws.com/images.example.com',
    );
  });

  it('uses an app-made key as its path as it is, and percent-encodes anything else segment by segment', () => {
    const adapter = createS3Adapter({
      client: createS3Client({
        region: 'us-east-1',
        endpoint: 'http://127.0.0.1:1',
        forcePathStyle: true,
        credentials: undefined,
      }),
      bucket: 'b',
      publicBaseUrl: 'https://cdn.example.com',
    });
    expect(adapter.urlFor('avatars/u1-0123456789abcdef0123456789abcdef-512.webp')).toBe(
      'https://cdn.example.com/avatars/u1-0123456789abcdef0123456789abcdef-512.webp',
    );
    expect(adapter.urlFor('uploads/a b+c#?.mp4')).toBe('https://cdn.example.com/uploads/a%20b%2Bc%23%3F.mp4');
    expect(adapter.urlFor('avatars/ü.webp')).toBe('https://cdn.example.com/avatars/%C3%BC.webp');
  });
});
