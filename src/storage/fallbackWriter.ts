/**
 * Writes a set of objects that belong together (an image's variants, or one video) to S3,
 * or — if S3 is off or any write fails — all of them to the fallback (local disk, or the outage
 * store in PostgreSQL when there is one). All in one place or none: a row records a single
 * location, so half the variants in S3 and half on disk would leave broken sizes. Bodies must
 * be re-openable, because a failed S3 write is replayed to the fallback.
 */
import type { Readable } from 'node:stream';
import type { Logger } from '../logger.ts';
import { StorageError, type Checksums, type StorageAdapter } from './contract.ts';
import { IMMUTABLE_CACHE_CONTROL } from './cachePolicy.ts';

export interface ObjectToWrite {
  key: string;
  contentType: string;
  open(): Buffer | Readable;
}

/** Where the objects went, and the checksum the store computed for each key (none on local disk). */
export interface WrittenObjects {
  adapter: StorageAdapter;
  checksums: Checksums;
}

export type FallbackWriter = (objects: ObjectToWrite[]) => Promise<WrittenObjects>;

export function createFallbackWriter({
  s3,
  local,
  logger,
}: {
  s3: StorageAdapter | undefined;
  local: StorageAdapter;
  logger: Logger;
}): FallbackWriter {
  const writeAll = async (adapter: StorageAdapter, objects: ObjectToWrite[]): Promise<WrittenObjects> => {
    const written: string[] = [];
    const checksums = new Map<string, string | undefined>();
    try {
      for (const object of objects) {
        const body = object.open();
        const { checksum } = await adapter
          .put(object.key, body, { contentType: object.contentType, cacheControl: IMMUTABLE_CACHE_CONTROL })
          .catch((error: unknown) => {
            // A put that failed before reading its stream to the end (S3 refused at once) leaves
            // the file open; each video falling back to disk leaked a descriptor on its spool file.
            if (!Buffer.isBuffer(body)) body.destroy();
            throw error;
          });
        checksums.set(object.key, checksum);
        written.push(object.key);
      }
      return { adapter, checksums };
    } catch (error) {
      await Promise.all(written.map((key) => adapter.delete(key).catch(() => undefined)));
      throw error;
    }
  };

  return async (objects) => {
    if (s3) {
      try {
        return await writeAll(s3, objects);
      } catch (error) {
        const code = error instanceof StorageError ? error.code : 'Unknown';
        const keys = objects.map((object) => object.key).join(', ');
        logger.warn(
          { keys, s3ErrorCode: code, err: error },
          `S3 upload failed (${code}); storing ${keys} ${local.location === 'db' ? 'in the outage store in PostgreSQL' : 'on local disk'} instead`,
        );
      }
    }
    return writeAll(local, objects);
  };
}
