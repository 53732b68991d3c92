/**
 * A stream into S3 in reused part buffers (storage/streamedMultipartUpload.ts), through the
 * S3 adapter's put as the app calls it: bytes round-trip whatever the chunking, a body of
 * exactly one part is one PutObject, S3's full-object CRC64NVME matches the bytes, and a
 * body that fails after parts went up leaves neither an object nor an incomplete upload.
 * MinIO only: s3rver computes no checksums and lists no multipart uploads.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { buffer as readAll } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createS3Adapter } from '../../src/storage/adapters/s3.ts';
import { publicBaseUrlFor } from '../../src/storage/publicBaseUrl.ts';
import { StorageError, type StorageAdapter } from '../../src/storage/contract.ts';
import { createS3Client } from '../../src/storage/s3Client.ts';
import { PART_BYTES } from '../../src/storage/streamedMultipartUpload.ts';
import { crc64nvmeBase64 } from '../support/crc64nvme.ts';
import { createBucket, s3SettingsFor } from '../support/s3Server.ts';
import { incompleteUploads, listObjects } from '../support/storedState.ts';

const server = inject('s3');
const PUT = { contentType: 'video/mp4', cacheControl: 'public, max-age=31536000, immutable' };

/** `bytes` as a stream of chunks of the given sizes, cycling through them. */
function chunked(bytes: Buffer, sizes: number[]): Readable {
  const chunks: Buffer[] = [];
  for (let offset = 0, i = 0; offset < bytes.length; i++) {
    const size = sizes[i % sizes.length]!;
    chunks.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  return Readable.from(chunks);
}

describe.skipIf(server.kind !== 'minio')('streaming into S3 in parts (needs MinIO)', () => {
  const bucket = `parts-${randomBytes(4).toString('hex')}`;
  let adapter: StorageAdapter;
  let client: ReturnType<typeof createS3Client>;
  beforeAll(async () => {
    await createBucket(server, bucket);
    const settings = s3SettingsFor(server, bucket);
    client = createS3Client(settings);
    adapter = createS3Adapter({ client, bucket, publicBaseUrl: publicBaseUrlFor(settings) });
  });
  afterAll(() => client?.destroy());

  it('stores the exact bytes of an uneven stream over three parts, with S3 reporting their CRC64NVME', async () => {
    const body = randomBytes(2 * PART_BYTES + 12_345);
    const put = await adapter.put('uploads/u1-three.mp4', chunked(body, [65_536, 1, 3 * 1024 * 1024, 777]), PUT);
    expect(put.checksum).toBe(crc64nvmeBase64(body));
    const stored = await readAll(await adapter.get('uploads/u1-three.mp4'));
    expect(stored.equals(body)).toBe(true);
    expect(await adapter.head('uploads/u1-three.mp4')).toMatchObject({ size: body.length, checksum: put.checksum });
  });

  it('sends a body of exactly one part as one PutObject, and an empty one too', async () => {
    const body = randomBytes(PART_BYTES);
    const put = await adapter.put('uploads/u1-one.mp4', chunked(body, [100_000]), PUT);
    expect(put.checksum).toBe(crc64nvmeBase64(body));
    expect((await readAll(await adapter.get('uploads/u1-one.mp4'))).equals(body)).toBe(true);
    // A multipart object's ETag ends in "-<parts>"; a PutObject's is the MD5 alone.
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'uploads/u1-one.mp4' }));
    expect(head.ETag).not.toMatch(/-\d+"$/);
    const empty = await adapter.put('uploads/u1-empty.mp4', Readable.from([]), PUT);
    expect(empty.checksum).toBe(crc64nvmeBase64(Buffer.alloc(0)));
    expect(await adapter.head('uploads/u1-empty.mp4')).toMatchObject({ size: 0 });
  });

  it('leaves no object and no incomplete upload when the stream fails after two parts went up', async () => {
    const before = await listObjects(server, bucket);
    let sent = 0;
    const failing = new Readable({
      read() {
        if (sent >= 2 * PART_BYTES + 1) return this.destroy(new Error('client went away'));
        sent += 1024 * 1024;
        this.push(Buffer.alloc(1024 * 1024, 7));
      },
    });
    const error = await adapter.put('uploads/u1-broken.mp4', failing, PUT).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect(await listObjects(server, bucket)).toEqual(before);
    expect(await incompleteUploads(server, bucket)).toEqual([]);
  });
});
