/**
 * Integrity recorded at write time (#15, problem 3): every object the app writes asks S3 for a
 * full-object CRC64NVME, the row keeps what S3 reported, and that equals the CRC64NVME of the
 * bytes in the bucket as this test computes it itself. MinIO only: s3rver computes no checksums.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer as readAll } from 'node:stream/consumers';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createS3Adapter } from '../../src/storage/adapters/s3.ts';
import { publicBaseUrlFor } from '../../src/storage/publicBaseUrl.ts';
import { createS3Client } from '../../src/storage/s3Client.ts';
import { csrfTokenFor, signUp } from '../support/browserlessMember.ts';
import { crc64nvmeBase64 } from '../support/crc64nvme.ts';
import { makeImage } from '../support/imageFixtures.ts';
import { createBucket, makeS3Client, s3SettingsFor } from '../support/s3Server.ts';
import { availableDatabases, createTestApp, type TestApp } from '../support/testApp.ts';

const server = inject('s3');
const PUT = { contentType: 'video/mp4', cacheControl: 'public, max-age=31536000, immutable' };

async function bytesIn(bucket: string, key: string): Promise<Buffer> {
  const client = makeS3Client(server);
  try {
    const result = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return readAll(result.Body as Readable);
  } finally {
    client.destroy();
  }
}

describe.skipIf(server.kind !== 'minio')('checksums S3 computed (needs MinIO: s3rver computes none)', () => {
  it('a multipart upload gets a full-object CRC64NVME, and an object written without one can be sealed', async () => {
    const bucket = `sums-${randomBytes(4).toString('hex')}`;
    await createBucket(server, bucket);
    const settings = s3SettingsFor(server, bucket);
    const client = createS3Client(settings);
    const adapter = createS3Adapter({ client, bucket, publicBaseUrl: publicBaseUrlFor(settings) });
    const body = randomBytes(11 * 1024 * 1024);
    const put = await adapter.put('uploads/u1-big.mp4', Readable.from([body]), PUT);
    expect(put.checksum).toBe(crc64nvmeBase64(body));
    expect((await adapter.head('uploads/u1-big.mp4'))?.checksum).toBe(put.checksum);

    const admin = makeS3Client(server);
    await admin.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'avatars/u1-old.webp',
        Body: Buffer.from('old'),
        ContentType: 'image/webp',
      }),
    );
    admin.destroy();
    expect((await adapter.head('avatars/u1-old.webp'))?.checksum).toBeUndefined();
    expect(await adapter.sealChecksum?.('avatars/u1-old.webp')).toBe(crc64nvmeBase64(Buffer.from('old')));
    expect(await adapter.head('avatars/u1-old.webp')).toMatchObject({
      contentType: 'image/webp',
      checksum: crc64nvmeBase64(Buffer.from('old')),
    });
    client.destroy();
  });

  for (const database of availableDatabases(inject('databaseUrlAvailable'))) {
    describe(`on ${database}`, () => {
      let testApp: TestApp;
      beforeAll(async () => {
        testApp = await createTestApp({ s3: server, database });
      });
      afterAll(async () => testApp?.close());

      it('records the checksum S3 computed for every variant of an uploaded avatar', async () => {
        const member = await signUp(testApp.app, 'summed');
        const token = await csrfTokenFor(member, '/profile');
        const response = await member
          .post('/profile/avatar')
          .field('_csrf', token)
          .attach('avatar', await makeImage('png', 400, 300, '#118844'), 'me.png');
        expect(response.status).toBe(303);
        const row = await testApp.db.selectFrom('stored_files').selectAll().executeTakeFirstOrThrow();
        expect(row.location).toBe('s3');
        expect(row.variants?.length).toBeGreaterThan(1);
        for (const variant of row.variants ?? [])
          expect(variant.checksum).toBe(crc64nvmeBase64(await bytesIn(testApp.bucket!, variant.key)));
        expect(row.checksum).toBe(row.variants?.[0]?.checksum);
      });
    });
  }
});
