/**
 * S3 adapter (the seed's `s3_storage`): works against AWS S3 and S3-compatible servers.
 * It needs only the least-privilege policy in docs/s3-setup.md — PutObject, GetObject,
 * DeleteObject on the objects and ListBucket on the bucket (for HeadBucket) — and never
 * creates buckets or changes their policy at run time.
 */
import { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import {
  assertSafeKey,
  StorageError,
  type ByteRange,
  type ListedObject,
  type ObjectInfo,
  type PutOptions,
  type PutResult,
  type StorageAdapter,
} from '../contract.ts';
import { toStorageError } from '../s3Errors.ts';
import { uploadStreamInParts } from '../streamedMultipartUpload.ts';

/**
 * Full-object CRC64NVME: unlike SHA-256, S3 reports it for the whole object after a multipart
 * upload too (SHA-256 would be a checksum of part checksums, "…-3"), so a video's primary and
 * backup copies compare equal however each was split into parts. The SDK computes it from the
 * bytes it sends and S3 refuses the write if what arrived differs. Measured on MinIO: an
 * explicit algorithm is honoured with requestChecksumCalculation WHEN_REQUIRED.
 */
const CHECKSUM_ALGORITHM = 'CRC64NVME' as const;

/** Characters encodeURIComponent leaves alone, plus the separator: such a key is its own URL path. */
const URL_SAFE_KEY = /^[A-Za-z0-9\-_.!~*'()/]+$/;

export interface S3AdapterOptions {
  client: S3Client;
  bucket: string;
  /** Where browsers fetch objects from: a CDN, the endpoint, or AWS's bucket host. No trailing slash. */
  publicBaseUrl: string;
}

export function createS3Adapter({ client, bucket, publicBaseUrl }: S3AdapterOptions): StorageAdapter {
  return {
    location: 's3',

    async put(key: string, body: Buffer | Readable, options: PutOptions): Promise<PutResult> {
      assertSafeKey(key);
      // A stream (a video on its way in, a copy from another store) is gathered into reused part buffers.
      if (body instanceof Readable) {
        try {
          const { contentType, cacheControl } = options;
          const target = { client, bucket, key, contentType, cacheControl, checksumAlgorithm: CHECKSUM_ALGORITHM };
          return await uploadStreamInParts(target, body);
        } catch (error) {
          throw toStorageError(error, `upload of ${key}`);
        }
      }
      const upload = new Upload({
        client,
        params: {
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentType: options.contentType,
          CacheControl: options.cacheControl,
          ChecksumAlgorithm: CHECKSUM_ALGORITHM,
        },
        // A failed multipart upload is aborted rather than leaving billable orphan parts.
        leavePartsOnError: false,
      });
      try {
        const done = await upload.done();
        return { checksum: done.ChecksumCRC64NVME };
      } catch (error) {
        throw toStorageError(error, `upload of ${key}`);
      }
    },

    async get(key: string, range?: ByteRange): Promise<Readable> {
      assertSafeKey(key);
      try {
        const result = await client.send(
          new GetObjectCommand({
            Bucket: bucket,
            Key: key,
            ...(range && { Range: `bytes=${range.start}-${range.end}` }),
          }),
        );
        if (!(result.Body instanceof Readable)) throw new StorageError('Unknown', `S3 returned no body for ${key}`);
        return result.Body;
      } catch (error) {
        throw toStorageError(error, `download of ${key}`);
      }
    },

    async readHead(key: string, bytes: number): Promise<{ head: Buffer; size: number } | undefined> {
      assertSafeKey(key);
      try {
        const result = await client.send(
          new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=0-${Math.max(0, bytes - 1)}` }),
        );
        if (!(result.Body instanceof Readable)) throw new StorageError('Unknown', `S3 returned no body for ${key}`);
        const chunks: Buffer[] = [];
        for await (const chunk of result.Body) chunks.push(chunk as Buffer);
        const head = Buffer.concat(chunks);
        // "bytes 0-4095/3217734"; a server that ignored the range answered with the whole object.
        const total = /\/(\d+)$/.exec(result.ContentRange ?? '')?.[1];
        return { head: head.subarray(0, bytes), size: total ? Number(total) : head.length };
      } catch (error) {
        const storageError = toStorageError(error, `ranged GET of ${key}`);
        if (storageError.code === 'NotFound') return undefined;
        throw storageError;
      }
    },

    async head(key: string): Promise<ObjectInfo | undefined> {
      assertSafeKey(key);
      try {
        const result = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }));
        return { size: result.ContentLength ?? 0, contentType: result.ContentType, checksum: result.ChecksumCRC64NVME };
      } catch (error) {
        const storageError = toStorageError(error, `HEAD of ${key}`);
        if (storageError.code === 'NotFound') return undefined;
        throw storageError;
      }
    },

    async *list(prefix: string): AsyncIterable<ListedObject> {
      try {
        for await (const page of paginateListObjectsV2({ client }, { Bucket: bucket, Prefix: prefix })) {
          for (const object of page.Contents ?? []) {
            if (object.Key)
              yield { key: object.Key, size: object.Size ?? 0, lastModified: object.LastModified ?? new Date(0) };
          }
        }
      } catch (error) {
        throw toStorageError(error, `listing of ${prefix}`);
      }
    },

    async delete(key: string): Promise<void> {
      assertSafeKey(key);
      try {
        // S3 answers 204 whether or not the key existed, which is the contract we want.
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      } catch (error) {
        throw toStorageError(error, `delete of ${key}`);
      }
    },

    async deleteMany(keys: string[]): Promise<void> {
      for (const key of keys) assertSafeKey(key);
      let failed: string[];
      try {
        // Quiet: S3 lists only the keys it could not delete (a missing key counts as deleted).
        const result = await client.send(
          new DeleteObjectsCommand({
            Bucket: bucket,
            Delete: { Objects: keys.map((key) => ({ Key: key })), Quiet: true },
          }),
        );
        failed = (result.Errors ?? []).map((error) => `${error.Key} (${error.Code})`);
      } catch (error) {
        throw toStorageError(error, `delete of ${keys.join(', ')}`);
      }
      if (failed.length > 0) throw new StorageError('ServerError', `S3 could not delete ${failed.join(', ')}`);
    },

    urlFor(key: string): string {
      // Keys the app makes need no escaping; skipping the split keeps a page of 60 cards cheap.
      if (URL_SAFE_KEY.test(key)) return `${publicBaseUrl}/${key}`;
      return `${publicBaseUrl}/${key.split('/').map(encodeURIComponent).join('/')}`;
    },

    async sealChecksum(key: string): Promise<string> {
      assertSafeKey(key);
      try {
        const current = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        // S3 refuses a copy onto itself that changes nothing; REPLACE with the same headers is allowed.
        await client.send(
          new CopyObjectCommand({
            Bucket: bucket,
            Key: key,
            CopySource: `${bucket}/${key}`,
            MetadataDirective: 'REPLACE',
            ContentType: current.ContentType,
            CacheControl: current.CacheControl,
            ChecksumAlgorithm: CHECKSUM_ALGORITHM,
          }),
        );
        const sealed = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }));
        if (!sealed.ChecksumCRC64NVME) throw new StorageError('Unknown', `S3 kept no checksum for ${key}`);
        return sealed.ChecksumCRC64NVME;
      } catch (error) {
        throw toStorageError(error, `checksum of ${key}`);
      }
    },

    async probe(): Promise<StorageError | undefined> {
      try {
        // A GET, unlike HeadBucket: its error body names the cause (SignatureDoesNotMatch,
        // NoSuchBucket, AuthorizationHeaderMalformed…), where a HEAD's 403 or 301 says nothing.
        // ListBucket is in the least-privilege policy.
        await client.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1 }));
        return undefined;
      } catch (error) {
        return toStorageError(error, 'health probe (ListObjectsV2)');
      }
    },

    async isAvailable(): Promise<boolean> {
      try {
        await client.send(new HeadBucketCommand({ Bucket: bucket }));
        return true;
      } catch {
        return false;
      }
    },
  };
}
