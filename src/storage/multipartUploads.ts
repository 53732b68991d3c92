/**
 * The S3 multipart operations behind browser-to-S3 video uploads. Only S3 has them, so they
 * live beside the adapter rather than in the StorageAdapter contract: the browser sends the
 * parts itself (presignedPartUrls.ts); the app starts, completes, aborts, lists and copies.
 * Every method throws StorageError (the SDK error kept as `cause`) on failure.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  type ListPartsCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { assertSafeKey } from './contract.ts';
import { toStorageError } from './s3Errors.ts';

export interface UploadedPart {
  partNumber: number;
  etag: string;
}

/** A part S3 holds for an unfinished upload. */
export interface StoredPart extends UploadedPart {
  size: number;
}

export interface IncompleteUpload {
  key: string;
  uploadId: string;
  initiated: Date;
}

export interface MultipartStore {
  /** Starts a multipart upload under `key` and returns its upload id. */
  create(key: string, contentType: string): Promise<string>;
  /** Joins the parts into the object `key`. Throws when a part is missing or an ETag does not match. */
  complete(key: string, uploadId: string, parts: UploadedPart[]): Promise<void>;
  /** Discards the upload and its parts. Does not throw when the upload is already gone. */
  abort(key: string, uploadId: string): Promise<void>;
  /**
   * The parts S3 holds for the unfinished upload, in part order (every page of the listing);
   * undefined when S3 no longer knows the upload (completed, aborted, or removed by the lifecycle rule).
   */
  listParts(key: string, uploadId: string): Promise<StoredPart[] | undefined>;
  /** Every upload started and neither completed nor aborted whose key starts with `prefix`. */
  listIncomplete(prefix: string): AsyncIterable<IncompleteUpload>;
  /**
   * Server-side copy of `from` to `to` with a new type and Cache-Control (no byte passes
   * through the app), resolving to the copy's size and hex SHA-256. `bytes` (the source's
   * size) lengthens the wait for S3's answer: a server-side copy answers only when done.
   */
  copy(
    from: string,
    to: string,
    options: { contentType: string; cacheControl: string; bytes: number },
  ): Promise<{ size: number; sha256: string }>;
}

/**
 * How long a server-side copy of `bytes` may take before S3 answers. The client's own budget
 * (S3_SLOW_MS, storage/requestBudget.ts) counts the bytes a request sends, and a copy sends
 * none; MinIO took about 20 s to copy and hash 2 GiB on the test machine, so the wait allows
 * 20 MiB/s plus 3 s.
 */
export function serverSideCopyTimeoutMs(bytes: number): number {
  return 3_000 + Math.ceil(bytes / (20 * 1024 * 1024)) * 1_000;
}

export function createMultipartStore({ client, bucket }: { client: S3Client; bucket: string }): MultipartStore {
  const attempt = async <T>(action: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      throw toStorageError(error, action);
    }
  };

  /**
   * S3 (and MinIO) compute the full-object SHA-256 the copy asked for. A store that does not,
   * or answers with a composite checksum of parts ("…-N"), gets the object hashed here instead:
   * read once from the bucket, never from the browser.
   */
  async function sha256Of(key: string, base64: string | undefined): Promise<string> {
    if (base64 && !base64.includes('-')) return Buffer.from(base64, 'base64').toString('hex');
    const result = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (!(result.Body instanceof Readable)) throw new Error(`S3 returned no body for ${key}`);
    const digest = createHash('sha256');
    for await (const chunk of result.Body) digest.update(chunk as Buffer);
    return digest.digest('hex');
  }

  return {
    create: (key, contentType) =>
      attempt(`start of a multipart upload to ${key}`, async () => {
        assertSafeKey(key);
        const started = await client.send(
          new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: contentType }),
        );
        if (!started.UploadId) throw new Error('S3 returned no UploadId');
        return started.UploadId;
      }),

    complete: (key, uploadId, parts) =>
      attempt(`completion of the multipart upload to ${key}`, async () => {
        await client.send(
          new CompleteMultipartUploadCommand({
            Bucket: bucket,
            Key: key,
            UploadId: uploadId,
            MultipartUpload: { Parts: parts.map((part) => ({ PartNumber: part.partNumber, ETag: part.etag })) },
          }),
        );
      }),

    abort: (key, uploadId) =>
      attempt(`abort of the multipart upload to ${key}`, async () => {
        try {
          await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
        } catch (error) {
          if ((error as { name?: string }).name !== 'NoSuchUpload') throw error;
        }
      }),

    listParts: (key, uploadId) =>
      attempt(`listing of the parts of the upload to ${key}`, async () => {
        const parts: StoredPart[] = [];
        let marker: string | undefined;
        do {
          let page: ListPartsCommandOutput;
          try {
            page = await client.send(
              new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumberMarker: marker }),
            );
          } catch (error) {
            if ((error as { name?: string }).name === 'NoSuchUpload') return undefined;
            throw error;
          }
          for (const part of page.Parts ?? [])
            if (part.PartNumber && part.ETag)
              parts.push({ partNumber: part.PartNumber, etag: part.ETag, size: part.Size ?? 0 });
          marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
        } while (marker !== undefined);
        return parts.sort((a, b) => a.partNumber - b.partNumber);
      }),

    async *listIncomplete(prefix) {
      let keyMarker: string | undefined;
      let uploadIdMarker: string | undefined;
      do {
        // No Prefix on the request: MinIO lists uploads for a Prefix only when it is an exact
        // key (minio/minio#20989, "working as intended"); filtering here works everywhere.
        const page = await attempt('listing of incomplete multipart uploads', () =>
          client.send(
            new ListMultipartUploadsCommand({ Bucket: bucket, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }),
          ),
        );
        for (const upload of page.Uploads ?? []) {
          if (upload.Key?.startsWith(prefix) && upload.UploadId)
            yield { key: upload.Key, uploadId: upload.UploadId, initiated: upload.Initiated ?? new Date(0) };
        }
        const more =
          page.IsTruncated === true && (page.NextKeyMarker !== undefined || page.NextUploadIdMarker !== undefined);
        keyMarker = more ? page.NextKeyMarker : undefined;
        uploadIdMarker = more ? page.NextUploadIdMarker : undefined;
      } while (keyMarker !== undefined || uploadIdMarker !== undefined);
    },

    copy: (from, to, options) =>
      attempt(`copy of ${from} to ${to}`, async () => {
        assertSafeKey(from);
        assertSafeKey(to);
        await client.send(
          new CopyObjectCommand({
            Bucket: bucket,
            Key: to,
            CopySource: `${bucket}/${from.split('/').map(encodeURIComponent).join('/')}`,
            MetadataDirective: 'REPLACE',
            ContentType: options.contentType,
            CacheControl: options.cacheControl,
            ChecksumAlgorithm: 'SHA256',
          }),
          { requestTimeout: serverSideCopyTimeoutMs(options.bytes) },
        );
        const copied = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: to, ChecksumMode: 'ENABLED' }));
        return { size: copied.ContentLength ?? 0, sha256: await sha256Of(to, copied.ChecksumSHA256) };
      }),
  };
}
