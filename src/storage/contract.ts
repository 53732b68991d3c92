/**
 * What every storage backend promises. Adapters store bytes under a key and build URLs;
 * they never see a request, never choose keys and never validate user input — that is the
 * job of imageStorage and the upload routes. The shared suite in test/storage/contract.ts
 * holds every adapter to these comments.
 */
import type { Readable } from 'node:stream';

/** 'db': the outage store in PostgreSQL (files/fallbackBlobs.ts), used while S3 is down. */
export type StorageLocation = 's3' | 'local' | 'db';

export interface PutOptions {
  contentType: string;
  cacheControl: string;
}

/**
 * What the store itself computed from the bytes it received. S3 is asked for a full-object
 * CRC64NVME on every write (single PUT or multipart alike) and refuses the write if the bytes
 * it got do not match; we keep its answer, never a value of our own.
 */
export interface PutResult {
  /** Base64 CRC64NVME as S3 reports it; undefined for backends that compute none (local disk). */
  checksum: string | undefined;
}

/** Object key → the checksum the store reported for it (undefined: the store computes none). */
export type Checksums = ReadonlyMap<string, string | undefined>;

export interface ObjectInfo {
  size: number;
  contentType: string | undefined;
  /** The full-object CRC64NVME S3 reports for the stored bytes; undefined when it has none (local disk, objects written before checksums). */
  checksum?: string | undefined;
}

/** Bytes `start` to `end` of an object, both inclusive (as in HTTP's `Range: bytes=start-end`). */
export interface ByteRange {
  start: number;
  end: number;
}

export interface ListedObject {
  key: string;
  size: number;
  lastModified: Date;
}

export interface StorageAdapter {
  readonly location: StorageLocation;

  /**
   * Stores `body` under `key`, replacing anything already there. Resolves once the bytes
   * are durable (S3 acknowledged them, or the local file was renamed into place): a reader
   * never sees a half-written object. Throws StorageError and leaves nothing behind on failure.
   */
  put(key: string, body: Buffer | Readable, options: PutOptions): Promise<PutResult>;

  /**
   * Opens the stored bytes as a stream — only bytes `range.start` to `range.end` (inclusive)
   * when a range is given; an end past the last byte stops at the last byte. Callers know the
   * object's size and never ask for a range that starts past its end. The caller must read
   * the stream to the end or destroy it. Throws StorageError with code 'NotFound' when missing.
   */
  get(key: string, range?: ByteRange): Promise<Readable>;

  /** Size and type of the stored object, or undefined when there is none. Throws StorageError otherwise. */
  head(key: string): Promise<ObjectInfo | undefined>;

  /**
   * The first `bytes` bytes of the object and its total size, in one request (S3: a ranged GET,
   * the size from Content-Range), or undefined when there is no object. Cheaper than head + get
   * for a format sniff. Throws StorageError otherwise. Absent on backends that do not need it.
   */
  readHead?(key: string, bytes: number): Promise<{ head: Buffer; size: number } | undefined>;

  /**
   * Every object whose key starts with `prefix` (e.g. "avatars/"), in pages, temp files
   * excluded. Throws StorageError when the backend cannot be listed.
   */
  list(prefix: string): AsyncIterable<ListedObject>;

  /** Removes the object. Does not throw when it does not exist; throws StorageError on other failures. */
  delete(key: string): Promise<void>;

  /**
   * Removes every object in `keys` (at most 1000) in one request, as `delete` would each: keys
   * that do not exist are fine. Throws StorageError, naming the keys left, when any could not be
   * removed. Absent on backends where one delete costs no round trip (local disk).
   */
  deleteMany?(keys: string[]): Promise<void>;

  /** The URL a browser uses to fetch the object. Pure string work: no I/O, never throws. */
  urlFor(key: string): string;

  /** Whether the backend answers right now. Never throws; bounded by the adapter's timeouts. */
  isAvailable(): Promise<boolean>;

  /**
   * Asks the backend whether it answers and accepts our configuration, and if not, why: resolves
   * with a StorageError whose code names the cause (Unreachable, Timeout, InvalidCredentials,
   * NoSuchBucket, WrongRegion, AccessDenied…), or undefined when all is well. Never throws.
   * Absent on backends that cannot be misconfigured that way (local disk).
   */
  probe?(): Promise<StorageError | undefined>;

  /**
   * Has the store compute and keep a checksum of an object written without one (S3: a copy of
   * the object onto itself asking for CRC64NVME, keeping its type and cache headers); resolves
   * with it. Absent on backends that compute none. Throws StorageError ('NotFound' when missing).
   */
  sealChecksum?(key: string): Promise<string>;
}

export type StorageErrorCode =
  | 'NotFound'
  | 'Unreachable'
  | 'Timeout'
  | 'InvalidCredentials'
  | 'AccessDenied'
  | 'NoSuchBucket'
  | 'WrongRegion'
  | 'ServerError'
  /** The outage store (files/fallbackBlobs.ts) holds its whole bound. */
  | 'FallbackFull'
  /** A file larger than the outage store takes per file. */
  | 'FallbackFileTooLarge'
  | 'Unknown';

/** A backend failure with a stable code; the original error is kept as `cause`. */
export class StorageError extends Error {
  readonly code: StorageErrorCode;

  constructor(code: StorageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'StorageError';
  }

  /** Configuration mistakes an operator must fix, as opposed to transient faults that retries or time cure. */
  get isConfigurationProblem(): boolean {
    return ['InvalidCredentials', 'AccessDenied', 'NoSuchBucket', 'WrongRegion'].includes(this.code);
  }
}

/** Object keys are server-generated; this guards adapters against anything else slipping through. */
export function assertSafeKey(key: string): void {
  if (!/^[a-z0-9][a-z0-9_-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)+$/.test(key) || key.includes('..')) {
    throw new StorageError('Unknown', `Refusing unsafe storage key "${key}"`);
  }
}

/** The same rule as a yes/no, for tools that meet files someone put there by hand. */
export function isSafeKey(key: string): boolean {
  try {
    assertSafeKey(key);
    return true;
  } catch {
    return false;
  }
}
