/**
 * The public face of image storage (the seed's `upload_image_to_storage`, `get_image_url`
 * and delete). It tries S3 first and falls back to local disk, records in the database
 * where each image ended up, and builds URLs from that record alone — so every image keeps
 * the right URL whatever the current mode, and rendering a page does no storage I/O.
 */
import { createHash } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { AppDatabase } from '../db/database.js';
import type { Database, ImageRow } from '../db/schema.js';
import type { Logger } from '../logger.js';
import { sniffImageType, UnsupportedImageError } from '../images/sniffImageType.js';
import { StorageError, type StorageAdapter, type StorageLocation } from './contract.js';
import { IMMUTABLE_CACHE_CONTROL } from './cachePolicy.js';
import { newObjectKey, type ImageFolder } from './keys.js';

export interface ImageFile {
  buffer: Buffer;
}

/** What templates hand to getImageUrl: the row's key and where it lives. */
export interface ImageRef {
  key: string;
  location: StorageLocation;
}

export type UploadFailureReason = 'unsupported_type' | 'storage_unavailable' | 'not_recorded';

export type UploadResult =
  | { success: true; url: string; filename: string; location: StorageLocation; image: ImageRow }
  | { success: false; reason: UploadFailureReason; error: string };

export interface UploadOptions {
  /**
   * Runs in the same transaction that records the image, e.g. to point a user's avatar at
   * it. If it throws, the row is rolled back and the stored bytes are deleted again.
   */
  attach?: (trx: Transaction<Database>, image: ImageRow) => Promise<void>;
}

export interface ImageStorage {
  readonly mode: StorageLocation;
  uploadImage(file: ImageFile, folder: ImageFolder, prefix: string, ownerId: number | null, options?: UploadOptions): Promise<UploadResult>;
  getImageUrl(image: ImageRef | string | null | undefined, folder: ImageFolder): string;
  deleteImage(imageId: number): Promise<void>;
  adapterFor(location: StorageLocation): StorageAdapter | undefined;
}

export interface ImageStorageDeps {
  db: AppDatabase;
  /** The S3 adapter when USE_CLOUD_STORAGE is on; undefined for local-only mode. */
  s3: StorageAdapter | undefined;
  local: StorageAdapter;
  logger: Logger;
  placeholderUrl: (folder: ImageFolder) => string;
}

export function createImageStorage({ db, s3, local, logger, placeholderUrl }: ImageStorageDeps): ImageStorage {
  const adapterFor = (location: StorageLocation): StorageAdapter | undefined => (location === 's3' ? s3 : local);

  async function storeBytes(key: string, buffer: Buffer, contentType: string): Promise<StorageAdapter> {
    const options = { contentType, cacheControl: IMMUTABLE_CACHE_CONTROL };
    if (s3) {
      try {
        await s3.put(key, buffer, options);
        return s3;
      } catch (error) {
        const code = error instanceof StorageError ? error.code : 'Unknown';
        logger.warn({ key, s3ErrorCode: code, err: error }, `S3 upload failed (${code}); storing ${key} on local disk instead`);
      }
    }
    await local.put(key, buffer, options);
    return local;
  }

  return {
    mode: s3 ? 's3' : 'local',
    adapterFor,

    async uploadImage(file, folder, prefix, ownerId, options = {}) {
      let type;
      try {
        type = await sniffImageType(file.buffer);
      } catch (error) {
        if (error instanceof UnsupportedImageError) return { success: false, reason: 'unsupported_type', error: error.message };
        throw error;
      }

      const key = newObjectKey(folder, prefix, type.extension);
      let adapter: StorageAdapter;
      try {
        adapter = await storeBytes(key, file.buffer, type.mime);
      } catch (error) {
        logger.error({ key, err: error }, 'Image could not be stored anywhere');
        return { success: false, reason: 'storage_unavailable', error: 'Image storage is unavailable right now. Please try again in a minute.' };
      }

      try {
        const image = await db.transaction().execute(async (trx) => {
          const row = await trx
            .insertInto('images')
            .values({
              owner_id: ownerId,
              folder,
              key,
              location: adapter.location,
              content_type: type.mime,
              bytes: file.buffer.length,
              sha256: createHash('sha256').update(file.buffer).digest('hex'),
            })
            .returningAll()
            .executeTakeFirstOrThrow();
          await options.attach?.(trx, row);
          return row;
        });
        return { success: true, url: adapter.urlFor(key), filename: key.slice(folder.length + 1), location: adapter.location, image };
      } catch (error) {
        // Nothing half-done: without a row, nobody could ever find (or delete) these bytes.
        await adapter.delete(key).catch((cleanupError: unknown) =>
          logger.error({ key, err: cleanupError }, 'Could not remove an unrecorded upload; storage:gc will'),
        );
        logger.error({ key, err: error }, 'Image stored but not recorded; removed it again');
        return { success: false, reason: 'not_recorded', error: 'Your image could not be saved. Please try again.' };
      }
    },

    getImageUrl(image, folder) {
      if (image === null || image === undefined || image === '') return placeholderUrl(folder);
      if (typeof image === 'string') {
        const key = image.includes('/') ? image : `${folder}/${image}`;
        return (s3 ?? local).urlFor(key);
      }
      const adapter = adapterFor(image.location);
      return adapter ? adapter.urlFor(image.key) : placeholderUrl(folder);
    },

    async deleteImage(imageId) {
      // Row first: a leftover object is garbage storage:gc can find; a row without bytes is a broken image.
      const row = await db.deleteFrom('images').where('id', '=', imageId).returningAll().executeTakeFirst();
      if (!row) return;
      const adapter = adapterFor(row.location);
      if (!adapter) {
        logger.warn({ key: row.key }, `Image ${row.key} lives in S3 but S3 is not configured; the object was left in place`);
        return;
      }
      await adapter.delete(row.key).catch((error: unknown) =>
        logger.warn({ key: row.key, err: error }, `Could not delete ${row.key}; storage:gc will remove it later`),
      );
    },
  };
}
