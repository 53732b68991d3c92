/**
 * Copying a stored file's objects from one backend to another so that the copy can be
 * trusted before the source is let go: skip objects the target already holds with the same
 * size and checksum, upload the rest, then HEAD every copy and compare what the target's store
 * reports (size, and the CRC64NVME S3 computed on receipt) with what was recorded when the
 * object was first written — or, for an object written before checksums, with what the
 * source's store reports after it was asked to compute one. Never metadata the app set itself.
 * Shared by resync (the outbox), storage:migrate and storage:verify --repair.
 */
import type { StoredFileRow } from '../db/schema.ts';
import { IMMUTABLE_CACHE_CONTROL } from '../storage/cachePolicy.ts';
import type { ObjectInfo, StorageAdapter } from '../storage/contract.ts';
import { crc64nvmeOf } from '../storage/crc64nvme.ts';
import { recordedChecksum, type Checksums } from './recordedChecksums.ts';

export interface StoredObject {
  key: string;
  size: number;
  sha256: string;
  /** The checksum recorded when the object was written; undefined before checksums or on local disk. */
  checksum?: string | undefined;
}

/** Every object key of a file: its variants, or the single key of videos and pre-pipeline images. */
export function objectsOf(
  file: Pick<StoredFileRow, 'key' | 'bytes' | 'sha256' | 'variants' | 'checksum'>,
): StoredObject[] {
  if (file.variants && file.variants.length > 0)
    return file.variants.map((variant) => ({
      key: variant.key,
      size: variant.bytes,
      sha256: variant.sha256,
      checksum: variant.checksum,
    }));
  return [{ key: file.key, size: file.bytes, sha256: file.sha256, checksum: recordedChecksum(file, file.key) }];
}

/**
 * The checksum a copy must carry: the recorded one, else the source's. A source in S3 without
 * one (written before checksums) is asked to compute it first; a source that computes none
 * (local disk) is read and hashed, so the copy is checked against the bytes it came from.
 */
async function expectedChecksum(from: StorageAdapter, object: StoredObject, source: ObjectInfo): Promise<string> {
  if (object.checksum) return object.checksum;
  if (source.checksum) return source.checksum;
  return from.sealChecksum ? from.sealChecksum(object.key) : crc64nvmeOf(from, object.key);
}

/**
 * Copies each object unless the target already holds the same bytes, then checks every copy.
 * Resolves with the checksum the target reports for each key (what a row should record).
 * `force` re-uploads even what looks identical (storage:verify --repair after a mismatch).
 */
export async function copyVerified(
  from: StorageAdapter,
  to: StorageAdapter,
  file: Pick<StoredFileRow, 'content_type'>,
  objects: StoredObject[],
  onUploaded?: () => void | Promise<void>,
  options: { force?: boolean } = {},
): Promise<Checksums> {
  const expected = new Map<string, string>();
  for (const object of objects) {
    const source = await from.head(object.key);
    if (!source) throw new MissingSourceError(object.key);
    const checksum = await expectedChecksum(from, object, source);
    expected.set(object.key, checksum);
    const existing = options.force ? undefined : await to.head(object.key);
    if (existing && existing.size === source.size && existing.checksum === checksum) continue;
    await to.put(object.key, await from.get(object.key), {
      contentType: file.content_type,
      cacheControl: IMMUTABLE_CACHE_CONTROL,
    });
  }
  await onUploaded?.();
  const reported = new Map<string, string | undefined>();
  for (const object of objects) {
    const copy = await to.head(object.key);
    const source = await from.head(object.key);
    if (!source || !copy || copy.size !== source.size)
      throw new Error(`verification failed for ${object.key}: the copy does not match the source in size`);
    const checksum = expected.get(object.key);
    // A target that computes no checksum (local disk) is checked by size alone.
    if (copy.checksum !== undefined && copy.checksum !== checksum)
      throw new Error(
        `verification failed for ${object.key}: the copy's checksum ${copy.checksum} is not the recorded ${checksum}`,
      );
    reported.set(object.key, copy.checksum ?? checksum);
  }
  return reported;
}

export class MissingSourceError extends Error {
  readonly key: string;

  constructor(key: string) {
    super(`${key} is missing from its source`);
    this.key = key;
  }
}
