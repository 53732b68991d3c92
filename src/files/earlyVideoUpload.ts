/**
 * A video sent through the form goes on to S3 while it is still arriving, instead of after it
 * has been spooled whole: the upload then takes about as long as the slower of the two legs
 * rather than their sum. The temp file is still written alongside, so when S3 fails halfway
 * the spooled copy takes the usual path (S3 again, else local disk) and nothing is lost.
 * The key is chosen from the first bytes, sniffed as the stored type would be.
 */
import { PassThrough } from 'node:stream';
import type { Logger } from '../logger.ts';
import { sniffVideoBytes } from './sniffVideoType.ts';
import { IMMUTABLE_CACHE_CONTROL } from '../storage/cachePolicy.ts';
import type { StorageAdapter } from '../storage/contract.ts';
import { newObjectKey } from '../storage/keys.ts';

export interface EarlyUpload {
  key: string;
  contentType: string;
  /**
   * The file's bytes in order; end() when the file is complete, and also to give it up: what
   * was sent is then completed as an object and discard() deletes it. Ending with an error
   * instead would race the SDK's CreateMultipartUpload (an incomplete upload can outlive the
   * abort) and look to the circuit breaker like S3 failing.
   */
  sink: PassThrough;
  /** True once everything written to `sink` is an object in S3; false if S3 failed. Never rejects. */
  stored: Promise<boolean>;
  /** The checksum S3 computed for the object, once `stored` resolved true. */
  checksum(): string | undefined;
  /** The object is recorded in a row now: discard() leaves it alone. */
  claim(): void;
  /** Deletes the object unless claimed; once, however often it is called. Call before answering a refused request, and again when it is over. */
  discard(): Promise<void>;
}

export type StartEarlyVideoUpload = (prefix: string, head: Buffer) => Promise<EarlyUpload | undefined>;

/** Undefined without S3; the starter returns undefined for bytes that are not an accepted video (the route then refuses them as usual). */
export function createEarlyVideoUploads({
  s3,
  logger,
}: {
  s3: StorageAdapter | undefined;
  logger: Logger;
}): StartEarlyVideoUpload | undefined {
  if (!s3) return undefined;
  return async (prefix, head) => {
    const type = (await sniffVideoBytes(head)).accepted;
    if (!type) return undefined;
    const key = newObjectKey('uploads', prefix, type.extension);
    // Room for a few network chunks (with the default 16 KiB each one waited for the S3 side to
    // read it), handed on one at a time: a byte-mode read() would join what is buffered into a new buffer.
    const sink = new PassThrough({ writableHighWaterMark: 1024 * 1024, readableObjectMode: true });
    // Failures surface through `stored`; the listener keeps a destroyed sink from crashing the process.
    sink.on('error', () => undefined);
    let checksum: string | undefined;
    const stored = s3.put(key, sink, { contentType: type.mime, cacheControl: IMMUTABLE_CACHE_CONTROL }).then(
      (result) => {
        checksum = result.checksum;
        return true;
      },
      (error: unknown) => {
        sink.destroy();
        logger.warn({ key, err: error }, `Streaming ${key} to S3 failed; the spooled copy takes the usual path`);
        return false;
      },
    );
    let claimed = false;
    let discarded: Promise<void> | undefined;
    return {
      key,
      contentType: type.mime,
      sink,
      stored,
      checksum: () => checksum,
      claim: () => {
        claimed = true;
      },
      discard() {
        discarded ??= (async () => {
          if (claimed || !(await stored)) return;
          await s3
            .delete(key)
            .catch((error: unknown) =>
              logger.error({ key, err: error }, `Could not delete the unused upload ${key}; storage:gc will find it`),
            );
        })();
        return discarded;
      },
    };
  };
}
