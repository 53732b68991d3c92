/**
 * The public face of storage (the seed's `upload_image_to_storage`, `get_image_url` and
 * delete), for images and uploaded videos alike. It tries S3 first and falls back to local
 * disk, records in the database where each file ended up, and builds URLs from that record
 * alone — so every file keeps the right URL whatever the current mode, and rendering a page
 * does no storage I/O.
 */
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Transaction } from 'kysely';
import type { AppDatabase } from '../db/database.js';
import type { Database, StoredFileRow } from '../db/schema.js';
import type { Logger } from '../logger.js';
import { sniffImageType, UnsupportedImageError } from '../images/sniffImageType.js';
import { sniffVideoFile, unsupportedVideoMessage } from '../videos/sniffVideoType.js';
import type { AcceptedType } from './acceptedType.js';
import { StorageError, type StorageAdapter, type StorageLocation } from './contract.js';
import { IMMUTABLE_CACHE_CONTROL } from './cachePolicy.js';
import { newObjectKey, type ImageFolder } from './keys.js';

/** An image held in memory (images are small and get decoded whole anyway). */
export interface ImageFile {
  buffer: Buffer;
}

/** A large upload already spooled to a temp file, with its size and SHA-256 taken on the way. */
export interface SpooledFile {
  path: string;
  size: number;
  sha256: string;
}

/** What templates hand to getImageUrl: the row's key and where it lives. */
export interface ImageRef {
  key: string;
  location: StorageLocation;
}

export type UploadFailureReason = 'unsupported_type' | 'storage_unavailable' | 'not_recorded';

export type UploadResult =
  | { success: true; url: string; filename: string; location: StorageLocation; image: StoredFileRow }
  | { success: false; reason: UploadFailureReason; error: string };

export interface UploadOptions {
  /**
   * Runs in the same transaction that records the file, e.g. to point a user's avatar at
   * it. If it throws, the row is rolled back and the stored bytes are deleted again.
   */
  attach?: (trx: Transaction<Database>, file: StoredFileRow) => Promise<void>;
}

export interface ImageStorage {
  readonly mode: StorageLocation;
  uploadImage(file: ImageFile, folder: ImageFolder, prefix: string, ownerId: number | null, options?: UploadOptions): Promise<UploadResult>;
  uploadVideo(file: SpooledFile, prefix: string, ownerId: number, options?: UploadOptions): Promise<UploadResult>;
  getImageUrl(image: ImageRef | string | null | undefined, folder: ImageFolder): string;
  deleteImage(fileId: number): Promise<void>;
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

/** Bytes that can be read more than once, so a failed S3 attempt can be replayed to disk. */
interface ReplayableBody {
  open(): Buffer | Readable;
  size: number;
  sha256: string;
}

export function createImageStorage({ db, s3, local, logger, placeholderUrl }: ImageStorageDeps): ImageStorage {
  const adapterFor = (location: StorageLocation): StorageAdapter | undefined => (location === 's3' ? s3 : local);

  async function storeBytes(key: string, body: ReplayableBody, contentType: string): Promise<StorageAdapter> {
    const options = { contentType, cacheControl: IMMUTABLE_CACHE_CONTROL };
    if (s3) {
      try {
        await s3.put(key, body.open(), options);
        return s3;
      } catch (error) {
        const code = error instanceof StorageError ? error.code : 'Unknown';
        logger.warn({ key, s3ErrorCode: code, err: error }, `S3 upload failed (${code}); storing ${key} on local disk instead`);
      }
    }
    await local.put(key, body.open(), options);
    return local;
  }

  async function storeAndRecord(
    body: ReplayableBody,
    type: AcceptedType,
    folder: ImageFolder,
    prefix: string,
    ownerId: number | null,
    options: UploadOptions,
  ): Promise<UploadResult> {
    const key = newObjectKey(folder, prefix, type.extension);
    let adapter: StorageAdapter;
    try {
      adapter = await storeBytes(key, body, type.mime);
    } catch (error) {
      logger.error({ key, err: error }, 'Upload could not be stored anywhere');
      return { success: false, reason: 'storage_unavailable', error: 'Storage is unavailable right now. Please try again in a minute.' };
    }

    try {
      const row = await db.transaction().execute(async (trx) => {
        const inserted = await trx
          .insertInto('stored_files')
          .values({ owner_id: ownerId, folder, key, location: adapter.location, content_type: type.mime, bytes: body.size, sha256: body.sha256 })
          .returningAll()
          .executeTakeFirstOrThrow();
        await options.attach?.(trx, inserted);
        return inserted;
      });
      return { success: true, url: adapter.urlFor(key), filename: key.slice(folder.length + 1), location: adapter.location, image: row };
    } catch (error) {
      // Nothing half-done: without a row, nobody could ever find (or delete) these bytes.
      await adapter.delete(key).catch((cleanupError: unknown) =>
        logger.error({ key, err: cleanupError }, 'Could not remove an unrecorded upload; it is now an orphan'),
      );
      logger.error({ key, err: error }, 'Upload stored but not recorded; removed it again');
      return { success: false, reason: 'not_recorded', error: 'Your upload could not be saved. Please try again.' };
    }
  }

  return {
    mode: s3 ? 's3' : 'local',
    adapterFor,

    async uploadImage(file, folder, prefix, ownerId, options = {}) {
      let type: AcceptedType;
      try {
        type = await sniffImageType(file.buffer);
      } catch (error) {
        if (error instanceof UnsupportedImageError) return { success: false, reason: 'unsupported_type', error: error.message };
        throw error;
      }
      const sha256 = createHash('sha256').update(file.buffer).digest('hex');
      return storeAndRecord({ open: () => file.buffer, size: file.buffer.length, sha256 }, type, folder, prefix, ownerId, options);
    },

    async uploadVideo(file, prefix, ownerId, options = {}) {
      const sniffed = await sniffVideoFile(file.path);
      if (!sniffed.accepted) return { success: false, reason: 'unsupported_type', error: unsupportedVideoMessage(sniffed.detected) };
      const body = { open: () => createReadStream(file.path), size: file.size, sha256: file.sha256 };
      return storeAndRecord(body, sniffed.accepted, 'uploads', prefix, ownerId, options);
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

    async deleteImage(fileId) {
      // Row first: a leftover object is garbage that can be found later; a row without bytes is a broken image.
      const row = await db.deleteFrom('stored_files').where('id', '=', fileId).returningAll().executeTakeFirst();
      if (!row) return;
      const adapter = adapterFor(row.location);
      if (!adapter) {
        logger.warn({ key: row.key }, `${row.key} lives in S3 but S3 is not configured; the object was left in place`);
        return;
      }
      await adapter.delete(row.key).catch((error: unknown) =>
        logger.warn({ key: row.key, err: error }, `Could not delete ${row.key}; it is now an orphan object`),
      );
    },
  };
}
