/**
 * Copying a stored file's objects from one backend to another so that the copy can be
 * trusted before the source is let go: skip objects the target already holds with the same
 * size and SHA-256, upload the rest with the SHA-256 kept as metadata, then HEAD every copy.
 * Shared by resync (the outbox) and storage:migrate.
 */
import type { StoredFileRow } from '../db/schema.ts';
import { IMMUTABLE_CACHE_CONTROL } from '../storage/cachePolicy.ts';
import type { StorageAdapter } from '../storage/contract.ts';

export interface StoredObject {
  key: string;
  size: number;
  sha256: string;
}

/** Every object key of a file: its variants, or the single key of videos and pre-pipeline images. */
export function objectsOf(file: Pick<StoredFileRow, 'key' | 'bytes' | 'sha256' | 'variants'>): StoredObject[] {
  if (file.variants && file.variants.length > 0)
    return file.variants.map((variant) => ({ key: variant.key, size: variant.bytes, sha256: variant.sha256 }));
  return [{ key: file.key, size: file.bytes, sha256: file.sha256 }];
}

/** Copies each object unless the target already holds the same bytes, then checks every copy. */
export async function copyVerified(
  from: StorageAdapter,
  to: StorageAdapter,
  file: Pick<StoredFileRow, 'content_type'>,
  objects: StoredObject[],
  onUploaded?: () => void | Promise<void>,
): Promise<void> {
  const sameBytes = (info: { size: number; sha256?: string } | undefined, object: StoredObject, size = object.size) =>
    info !== undefined && info.size === size && info.sha256 === object.sha256;
  for (const object of objects) {
    const source = await from.head(object.key);
    if (!source) throw new MissingSourceError(object.key);
    if (sameBytes(await to.head(object.key), object, source.size)) continue;
    await to.put(object.key, await from.get(object.key), {
      contentType: file.content_type,
      cacheControl: IMMUTABLE_CACHE_CONTROL,
      sha256: object.sha256,
    });
  }
  await onUploaded?.();
  for (const object of objects) {
    const copy = await to.head(object.key);
    const source = await from.head(object.key);
    if (!source || !sameBytes(copy, object, source.size))
      throw new Error(`verification failed for ${object.key}: the copy does not match in size and SHA-256`);
  }
}

export class MissingSourceError extends Error {
  readonly key: string;

  constructor(key: string) {
    super(`${key} is missing from its source`);
    this.key = key;
  }
}
