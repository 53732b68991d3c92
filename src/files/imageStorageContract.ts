/**
 * What the files service promises (imageStorage.ts builds it): the inputs it stores and one
 * method per kind of write, each saying what it resolves to and how it fails.
 */
import type { Transaction } from 'kysely';
import type { Database, StoredFileRow } from '../db/schema.ts';
import type { StorageAdapter, StorageLocation } from '../storage/contract.ts';
import type { ImageRef } from '../storage/imageUrls.ts';
import type { MediaFolder } from '../storage/keys.ts';
import type { EarlyUpload } from './earlyVideoUpload.ts';
import type { StoredUpload } from './storedUpload.ts';

/**
 * An image to store: bytes in memory (a direct upload read back from S3), or a form upload
 * spooled to a temp file that libvips reads while decoding (the caller removes it afterwards).
 */
export type ImageFile = { buffer: Buffer } | { path: string; size: number };

/** A large upload already spooled to a temp file, with its size and SHA-256 taken on the way. */
export interface SpooledFile {
  path: string;
  size: number;
  sha256: string;
  /** The same bytes streamed on to S3 while they arrived (earlyVideoUpload.ts); used when it got there whole. */
  early?: EarlyUpload;
}

export interface UploadOptions {
  /**
   * Runs in the same transaction that records the file, e.g. to point a user's avatar at
   * it. If it throws, the row is rolled back and the stored bytes are deleted again.
   */
  attach?: (trx: Transaction<Database>, file: StoredFileRow) => Promise<void>;
}

/**
 * Every write of a stored file goes through here. Each store method resolves to the stored
 * upload, or rejects with a Refusal (bytes not acceptable, storage unavailable, the file could
 * not be recorded) and leaves nothing behind. A stored upload is logged and counted against its
 * owner's daily quota once, here; a refused one is logged and not counted.
 */
export interface ImageStorage {
  readonly mode: StorageLocation;
  uploadImage(
    file: ImageFile,
    folder: MediaFolder,
    prefix: string,
    ownerId: number | null,
    options?: UploadOptions,
  ): Promise<StoredUpload>;
  uploadVideo(file: SpooledFile, prefix: string, ownerId: number, options?: UploadOptions): Promise<StoredUpload>;
  /**
   * Records a video that is already in S3 under its final key (a browser-to-S3 upload the app
   * checked and copied): the row, a backup copy owed, and `attach`, in one transaction. If that
   * fails, the object is deleted again and the promise rejects.
   */
  recordVideoInS3(
    file: { key: string; contentType: string; bytes: number; sha256: string; checksum?: string | undefined },
    ownerId: number,
    options?: UploadOptions,
  ): Promise<StoredUpload>;
  getImageUrl(image: ImageRef | string | null | undefined, folder: MediaFolder, width?: number): string;
  /** Deletes the row, then its objects from wherever they live; does nothing when there is no such file. */
  deleteFile(fileId: number): Promise<void>;
  adapterFor(location: StorageLocation): StorageAdapter | undefined;
}
