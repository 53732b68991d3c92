/**
 * The public face of storage (the seed's `upload_image_to_storage`, `get_image_url` and
 * delete), for images and uploaded videos alike. Images go through the pipeline first (the
 * server stores only what it made itself); every upload tries S3 first and falls back to
 * local disk; the database records where each file ended up, and URLs are built from that
 * record alone — so every file keeps the right URL whatever the current mode.
 */
import { createReadStream } from 'node:fs';
import type { Transaction } from 'kysely';
import type { AppDatabase } from '../db/database.ts';
import type { Database, NewStoredFileRow, StoredFileRow } from '../db/schema.ts';
import type { Logger } from '../logger.ts';
import { ImageRejectedError } from '../images/imageRejection.ts';
import type { ImageJobQueue } from '../images/imageJobQueue.ts';
import { processImage } from '../images/processImage.ts';
import { sniffVideoFile, unsupportedVideoMessage } from '../videos/sniffVideoType.ts';
import type { StorageAdapter, StorageLocation } from './contract.ts';
import type { EarlyUpload } from './earlyVideoUpload.ts';
import { createFallbackWriter, type ObjectToWrite, type WrittenObjects } from './fallbackWriter.ts';
import { createImageUrlBuilder, createStoredFileUrl, type ImageRef, type MediaDelivery } from './imageUrls.ts';
import { describeProcessedImage } from './imageRecord.ts';
import { newObjectKey, type ImageFolder } from './keys.ts';
import { deleteUnreferencedObjects } from './objectReferences.ts';
import { enqueueCopy } from './outbox.ts';
import { checksumColumns } from '../files/recordedChecksums.ts';

export type { ImageRef } from './imageUrls.ts';

/** An image held in memory (images are small, and get decoded whole anyway). */
export interface ImageFile {
  buffer: Buffer;
}

/** A large upload already spooled to a temp file, with its size and SHA-256 taken on the way. */
export interface SpooledFile {
  path: string;
  size: number;
  sha256: string;
  /** The same bytes streamed on to S3 while they arrived (earlyVideoUpload.ts); used when it got there whole. */
  early?: EarlyUpload;
}

export type UploadResult =
  | { success: true; url: string; filename: string; location: StorageLocation; image: StoredFileRow }
  | { success: false; status: number; error: string };

export interface UploadOptions {
  /**
   * Runs in the same transaction that records the file, e.g. to point a user's avatar at
   * it. If it throws, the row is rolled back and the stored bytes are deleted again.
   */
  attach?: (trx: Transaction<Database>, file: StoredFileRow) => Promise<void>;
}

export interface ImageStorage {
  readonly mode: StorageLocation;
  uploadImage(
    file: ImageFile,
    folder: ImageFolder,
    prefix: string,
    ownerId: number | null,
    options?: UploadOptions,
  ): Promise<UploadResult>;
  uploadVideo(file: SpooledFile, prefix: string, ownerId: number, options?: UploadOptions): Promise<UploadResult>;
  /**
   * Records a video that is already in S3 under its final key (a browser-to-S3 upload the app
   * checked and copied): the row, a backup copy owed, and `attach`, in one transaction. If that
   * fails, the object is deleted again and a failure is returned.
   */
  recordVideoInS3(
    file: { key: string; contentType: string; bytes: number; sha256: string; checksum?: string | undefined },
    ownerId: number,
    options?: UploadOptions,
  ): Promise<UploadResult>;
  getImageUrl(image: ImageRef | string | null | undefined, folder: ImageFolder, width?: number): string;
  deleteImage(fileId: number): Promise<void>;
  adapterFor(location: StorageLocation): StorageAdapter | undefined;
}

export interface ImageStorageDeps {
  db: AppDatabase;
  /** The S3 adapter when USE_CLOUD_STORAGE is on; undefined for local-only mode. */
  s3: StorageAdapter | undefined;
  local: StorageAdapter;
  /** The backup bucket, when one is configured: every S3 object gets a verified copy there. */
  backup?: StorageAdapter | undefined;
  logger: Logger;
  placeholderUrl: (folder: ImageFolder) => string;
  imageJobs: ImageJobQueue;
  maxImagePixels: number;
  /** How S3-located files reach browsers (IMAGE_URL_MODE / VIDEO_URL_MODE); public bucket URLs by default. */
  delivery?: MediaDelivery;
}

const STORAGE_UNAVAILABLE = {
  success: false,
  status: 503,
  error: 'Storage is unavailable right now. Please try again in a minute.',
} as const;

export function createImageStorage(deps: ImageStorageDeps): ImageStorage {
  const { db, s3, local, logger } = deps;
  const adapterFor = (location: StorageLocation): StorageAdapter | undefined => (location === 's3' ? s3 : local);
  const writeObjects = createFallbackWriter({ s3, local, logger });
  const storedFileUrl = createStoredFileUrl(adapterFor, deps.delivery);

  async function storeAndRecord(
    objects: ObjectToWrite[],
    row: Omit<NewStoredFileRow, 'location'>,
    options: UploadOptions,
  ): Promise<UploadResult> {
    let written: WrittenObjects;
    try {
      written = await writeObjects(objects);
    } catch (error) {
      logger.error({ key: row.key, err: error }, 'Upload could not be stored anywhere');
      return STORAGE_UNAVAILABLE;
    }
    return record(
      written.adapter,
      objects.map((object) => object.key),
      { ...row, ...checksumColumns(row, written.checksums) },
      options,
    );
  }

  /** Records objects already written to `adapter`, with their pending copies; deletes them again if recording fails. */
  async function record(
    adapter: StorageAdapter,
    keys: string[],
    row: Omit<NewStoredFileRow, 'location'>,
    options: UploadOptions,
  ): Promise<UploadResult> {
    try {
      const recorded = await db.transaction().execute(async (trx) => {
        const inserted = await trx
          .insertInto('stored_files')
          .values({ ...row, location: adapter.location })
          .returningAll()
          .executeTakeFirstOrThrow();
        if (adapter.location === 'local' && s3) await enqueueCopy(trx, inserted.id, 'primary');
        if (adapter.location === 's3' && deps.backup) await enqueueCopy(trx, inserted.id, 'backup');
        await options.attach?.(trx, inserted);
        return inserted;
      });
      return {
        success: true,
        url: storedFileUrl(row.key, adapter.location) ?? adapter.urlFor(row.key),
        filename: row.key.slice(row.folder.length + 1),
        location: adapter.location,
        image: recorded,
      };
    } catch (error) {
      // Nothing half-done: without a row, nobody could ever find (or delete) these bytes.
      logger.error({ key: row.key, err: error }, 'Upload stored but not recorded; removing it again');
      await deleteUnreferencedObjects(db, adapter, keys, logger);
      return { success: false, status: 500, error: 'Your upload could not be saved. Please try again.' };
    }
  }

  /** A video object already whole in S3 (streamed there, or copied from a direct upload), recorded. */
  const recordVideoInS3: ImageStorage['recordVideoInS3'] = async (file, ownerId, options = {}) => {
    if (!s3) throw new Error('recordVideoInS3 needs S3');
    return record(
      s3,
      [file.key],
      {
        owner_id: ownerId,
        folder: 'uploads',
        key: file.key,
        content_type: file.contentType,
        bytes: file.bytes,
        sha256: file.sha256,
        checksum: file.checksum ?? null,
      },
      options,
    );
  };

  return {
    mode: s3 ? 's3' : 'local',
    adapterFor,
    getImageUrl: createImageUrlBuilder(adapterFor, s3 ?? local, deps.placeholderUrl, deps.delivery),

    async uploadImage(file, folder, prefix, ownerId, options = {}) {
      let processed: Awaited<ReturnType<typeof processImage>>;
      try {
        processed = await deps.imageJobs(() => processImage(file.buffer, folder, { maxPixels: deps.maxImagePixels }));
      } catch (error) {
        if (error instanceof ImageRejectedError) return { success: false, status: error.status, error: error.message };
        throw error;
      }
      const { objects, fields } = describeProcessedImage(processed, folder, prefix);
      return storeAndRecord(objects, { ...fields, owner_id: ownerId }, options);
    },

    async uploadVideo(file, prefix, ownerId, options = {}) {
      if (s3 && file.early && (await file.early.stored)) {
        file.early.claim();
        return recordVideoInS3(
          {
            key: file.early.key,
            contentType: file.early.contentType,
            bytes: file.size,
            sha256: file.sha256,
            checksum: file.early.checksum(),
          },
          ownerId,
          options,
        );
      }
      const sniffed = await sniffVideoFile(file.path);
      if (!sniffed.accepted) return { success: false, status: 415, error: unsupportedVideoMessage(sniffed.detected) };
      const key = newObjectKey('uploads', prefix, sniffed.accepted.extension);
      return storeAndRecord(
        [{ key, contentType: sniffed.accepted.mime, open: () => createReadStream(file.path) }],
        {
          owner_id: ownerId,
          folder: 'uploads',
          key,
          content_type: sniffed.accepted.mime,
          bytes: file.size,
          sha256: file.sha256,
        },
        options,
      );
    },

    recordVideoInS3,

    async deleteImage(fileId) {
      // Row first: a leftover object is garbage that can be found later; a row without bytes is a broken image.
      const row = await db.deleteFrom('stored_files').where('id', '=', fileId).returningAll().executeTakeFirst();
      if (!row) return;
      const adapter = adapterFor(row.location);
      if (!adapter) {
        logger.warn({ key: row.key }, `${row.key} lives in S3 but S3 is not configured; the object was left in place`);
        return;
      }
      const keys = [row.key, ...(row.variants ?? []).map((variant) => variant.key)];
      await deleteUnreferencedObjects(db, adapter, keys, logger);
      if (row.location === 's3' && deps.backup) await deleteUnreferencedObjects(db, deps.backup, keys, logger);
    },
  };
}
