/**
 * A stream of unknown length into S3 as one object, in parts, the way lib-storage's `Upload`
 * does it (5 MiB parts, four in flight, a single PutObject when it all fits in one part, the
 * multipart upload aborted on failure) but without its copies: `Upload` gathers each part
 * with Buffer.concat into a freshly allocated buffer, so a 100 MB video allocated and
 * page-faulted 100 MB of new memory and kept the garbage collector busy (a profile of the
 * bench's form video upload: GC, then `concat`, were the largest costs after the checksum).
 * Here each upload copies its bytes into at most five part buffers of its own and reuses them
 * as S3 acknowledges each part.
 */
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';

/** S3's smallest part but the last; lib-storage's default. */
export const PART_BYTES = 5 * 1024 * 1024;
/** Parts uploading at once; lib-storage's default. Memory: (QUEUE + 1) × PART_BYTES per upload. */
export const PARTS_IN_FLIGHT = 4;

export interface StreamedUploadTarget {
  client: S3Client;
  bucket: string;
  key: string;
  contentType: string;
  cacheControl: string;
  /** The full-object checksum S3 is asked to keep (the SDK computes each part's on the way). */
  checksumAlgorithm: 'CRC64NVME';
}

/**
 * Uploads everything `body` yields and resolves with the full-object checksum S3 reports.
 * Rejects with the first failure (the body is then destroyed and any multipart upload
 * aborted once its parts in flight have settled, so no part lands after the abort).
 */
export async function uploadStreamInParts(
  target: StreamedUploadTarget,
  body: Readable,
): Promise<{ checksum: string | undefined }> {
  const { client, bucket: Bucket, key: Key } = target;
  const common = { Bucket, Key, ContentType: target.contentType, CacheControl: target.cacheControl };
  const spare: Buffer[] = [];
  const inFlight = new Set<Promise<void>>();
  const parts: CompletedPart[] = [];
  let uploadId: string | undefined;
  let failure: unknown;
  let partNumber = 0;

  const sendPart = async (buffer: Buffer, length: number) => {
    uploadId ??= await startMultipart();
    partNumber += 1;
    const number = partNumber;
    const sending = client
      .send(
        new UploadPartCommand({
          Bucket,
          Key,
          UploadId: uploadId,
          PartNumber: number,
          Body: buffer.subarray(0, length),
          ChecksumAlgorithm: target.checksumAlgorithm,
        }),
      )
      .then(
        (result) => {
          if (!result.ETag) throw new Error(`S3 returned no ETag for part ${number} of ${Key}`);
          parts.push({ PartNumber: number, ETag: result.ETag, ChecksumCRC64NVME: result.ChecksumCRC64NVME });
          spare.push(buffer);
        },
        (error: unknown) => {
          failure ??= error;
        },
      )
      .finally(() => inFlight.delete(sending));
    inFlight.add(sending);
    while (inFlight.size >= PARTS_IN_FLIGHT && failure === undefined) await Promise.race(inFlight);
    if (failure !== undefined) throw failure;
  };

  const startMultipart = async () => {
    const started = await client.send(
      new CreateMultipartUploadCommand({ ...common, ChecksumAlgorithm: target.checksumAlgorithm }),
    );
    if (!started.UploadId) throw new Error(`S3 returned no UploadId for ${Key}`);
    return started.UploadId;
  };

  try {
    let part: Buffer = Buffer.allocUnsafeSlow(PART_BYTES);
    let filled = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      if (failure !== undefined) throw failure;
      let offset = 0;
      while (offset < chunk.length) {
        // A full part goes only once more bytes follow: a body of one part or less is a single PutObject.
        if (filled === PART_BYTES) {
          await sendPart(part, filled);
          part = spare.pop() ?? Buffer.allocUnsafeSlow(PART_BYTES);
          filled = 0;
        }
        const copied = chunk.copy(part, filled, offset, Math.min(chunk.length, offset + PART_BYTES - filled));
        filled += copied;
        offset += copied;
      }
    }
    if (partNumber === 0) {
      const put = await client.send(
        new PutObjectCommand({
          ...common,
          Body: part.subarray(0, filled),
          ChecksumAlgorithm: target.checksumAlgorithm,
        }),
      );
      return { checksum: put.ChecksumCRC64NVME };
    }
    if (filled > 0) await sendPart(part, filled);
    await Promise.all(inFlight);
    if (failure !== undefined) throw failure;
    parts.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
    const completed = await client.send(
      new CompleteMultipartUploadCommand({ Bucket, Key, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
    );
    uploadId = undefined;
    return { checksum: completed.ChecksumCRC64NVME };
  } catch (error) {
    body.destroy();
    await Promise.allSettled(inFlight);
    // Billable orphan parts otherwise; if the abort fails too, storage:gc and the lifecycle rule remove them.
    if (uploadId)
      await client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId: uploadId })).catch(() => undefined);
    throw error;
  }
}
