/**
 * The files service (the seed's `upload_image_to_storage`, `get_image_url` and delete), for
 * images and uploaded videos alike (its contract: imageStorageContract.ts). Images go through
 * the pipeline first (the server stores only what it made itself); every upload tries S3 first and falls back to
 * local disk; the database records where each file ended up, and URLs are built from that
 * record alone — so every file keeps the right URL whatever the current mode.
 */
import { createReadStream } from 'node:fs';
import type { AppDatabase } from '../db/database.ts';
import type { NewStoredFileRow } from '../db/schema.ts';
import type { Logger } from '../logger.ts';
import type { ImageJobQueue } from '../images/imageJobQueue.ts';
import { processImage } from '../images/processImage.ts';
import { isDatabaseUnavailable } from '../db/databaseUnavailable.ts';
import {
  databaseUnavailable,
  localDiskFull,
  notAcceptedVideo,
  outageFileTooLarge,
  outageStoreFull,
  storageUnavailable,
} from '../refusals/reasons.ts';
import { Refusal } from '../refusals/refusal.ts';
import { sniffVideoFile } from './sniffVideoType.ts';
import type { UploadQuota } from './uploadQuota.ts';
import type { StoredUpload } from './storedUpload.ts';
import { createUploadAccounting } from './uploadAccounting.ts';
import { StorageError, type StorageAdapter, type StorageLocation } from '../storage/contract.ts';
import { isDiskFull } from '../storage/diskFull.ts';
import { createFallbackWriter, type ObjectToWrite, type WrittenObjects } from '../storage/fallbackWriter.ts';
import { createImageUrlBuilder, createStoredFileUrl, type MediaDelivery } from '../storage/imageUrls.ts';
import { describeProcessedImage } from './imageRecord.ts';
import { newObjectKey, type MediaFolder } from '../storage/keys.ts';
import { LeaseLostError } from '../jobs/jobQueue.ts';
import { deleteUnreferencedObjects } from './objectReferences.ts';
import { enqueueCopy } from './outbox.ts';
import { checksumColumns } from './recordedChecksums.ts';

import type { ImageStorage, UploadOptions } from './imageStorageContract.ts';

export type { ImageRef } from '../storage/imageUrls.ts';
export type { ImageFile, ImageStorage, SpooledFile, UploadOptions } from './imageStorageContract.ts';
export type { StoredUpload } from './storedUpload.ts';

export interface ImageStorageDeps {
  db: AppDatabase;
  /** The S3 adapter when USE_CLOUD_STORAGE is on; undefined for local-only mode. */
  s3: StorageAdapter | undefined;
  local: StorageAdapter;
  /** The backup bucket, when one is configured: every S3 object gets a verified copy there. */
  backup?: StorageAdapter | undefined;
  logger: Logger;
  placeholderUrl: (folder: MediaFolder) => string;
  imageJobs: ImageJobQueue;
  maxImagePixels: number;
  /** How S3-located files reach browsers (IMAGE_URL_MODE / VIDEO_URL_MODE); public bucket URLs by default. */
  delivery?: MediaDelivery;
  /** Counts each stored upload against its owner's daily quota (DAILY_UPLOAD_MB); nothing is counted without it. */
  quota?: Pick<UploadQuota, 'record'>;
  /** The outage store in PostgreSQL (files/fallbackBlobs.ts): the fallback instead of local disk, when set. */
  outageStore?: StorageAdapter;
  outageStoreMaxFileBytes?: number;
}

export function createImageStorage(deps: ImageStorageDeps): ImageStorage {
  const { db, s3, local, logger } = deps;
  const adapterFor = (location: StorageLocation): StorageAdapter | undefined =>
    location === 's3' ? s3 : location === 'db' ? deps.outageStore : local;
  // With PostgreSQL and S3, what S3 cannot take now goes to the outage store every instance reads.
  const writeObjects = createFallbackWriter({ s3, local: deps.outageStore ?? local, logger });
  const storedFileUrl = createStoredFileUrl(adapterFor, deps.delivery);
  const accounted = createUploadAccounting({ logger, quota: deps.quota });

  const logAtLevelFor = (error: unknown) =>
    isDatabaseUnavailable(error) ? logger.warn.bind(logger) : logger.error.bind(logger);

  async function storeAndRecord(
    objects: ObjectToWrite[],
    row: Omit<NewStoredFileRow, 'location'>,
    options: UploadOptions,
  ): Promise<StoredUpload> {
    let written: WrittenObjects;
    try {
      written = await writeObjects(objects);
    } catch (error) {
      // An outage of the database (the outage store is in it) is /healthz's news and the member's 503,
      // not a bug: a warning. Anything else is an error.
      logAtLevelFor(error)({ key: row.key, err: error }, 'Upload could not be stored anywhere');
      if (isDiskFull(error)) throw localDiskFull(undefined, error);
      if (error instanceof StorageError && error.code === 'FallbackFull') throw outageStoreFull(error);
      if (error instanceof StorageError && error.code === 'FallbackFileTooLarge')
        throw outageFileTooLarge(Math.round((deps.outageStoreMaxFileBytes ?? 0) / 1024 / 1024), error);
      throw storageUnavailable(error);
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
  ): Promise<StoredUpload> {
    try {
      const recorded = await db.transaction().execute(async (trx) => {
        const inserted = await trx
          .insertInto('stored_files')
          .values({ ...row, location: adapter.location })
          .returningAll()
          .executeTakeFirstOrThrow();
        if (adapter.location !== 's3' && s3) await enqueueCopy(trx, inserted.id, 'primary');
        if (adapter.location === 's3' && deps.backup) await enqueueCopy(trx, inserted.id, 'backup');
        await options.attach?.(trx, inserted);
        return inserted;
      });
      return {
        url: storedFileUrl(row.key, adapter.location) ?? adapter.urlFor(row.key),
        location: adapter.location,
        file: recorded,
      };
    } catch (error) {
      // A job that lost its lease: the worker now holding it may be about to record these same
      // (content-addressed) objects, so they stay; storage:gc removes them if nobody does.
      if (error instanceof LeaseLostError) throw error;
      // Nothing half-done: without a row, nobody could ever find (or delete) these bytes.
      logAtLevelFor(error)({ key: row.key, err: error }, 'Upload stored but not recorded; removing it again');
      await deleteUnreferencedObjects(db, adapter, keys, logger);
      if (isDatabaseUnavailable(error)) throw databaseUnavailable(error);
      throw new Refusal(500, 'Your upload could not be saved. Please try again.', { cause: error });
    }
  }

  /** A video object already whole in S3 (streamed there, or copied from a direct upload), recorded. */
  const recordInS3 = async (
    file: Parameters<ImageStorage['recordVideoInS3']>[0],
    ownerId: number,
    options: UploadOptions = {},
  ): Promise<StoredUpload> => {
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

    uploadImage: (file, folder, prefix, ownerId, options = {}) =>
      accounted('buffer' in file ? file.buffer.length : file.size, ownerId, async () => {
        const input = 'buffer' in file ? file.buffer : { path: file.path };
        const processed = await deps.imageJobs(() => processImage(input, folder, { maxPixels: deps.maxImagePixels }));
        const { objects, fields } = describeProcessedImage(processed, folder, prefix);
        return storeAndRecord(objects, { ...fields, owner_id: ownerId }, options);
      }),

    uploadVideo: (file, prefix, ownerId, options = {}) =>
      accounted(file.size, ownerId, async () => {
        if (s3 && file.early && (await file.early.stored)) {
          file.early.claim();
          return recordInS3(
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
        if (!sniffed.accepted) throw notAcceptedVideo(sniffed);
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
      }),

    recordVideoInS3: (file, ownerId, options) =>
      accounted(file.bytes, ownerId, () => recordInS3(file, ownerId, options)),

    async deleteFile(fileId) {
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
