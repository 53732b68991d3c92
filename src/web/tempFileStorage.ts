/**
 * A multer storage engine that spools each file to a private temp file, taking its size and
 * SHA-256 on the way, with a byte limit per field (a thumbnail may be 5 MB where a video may
 * be 200 MB). Memory stays flat whatever the upload size, and the temp file can be read twice
 * — once for S3, once more for the local fallback if S3 fails halfway.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request } from 'express';
import type multer from 'multer';
import type { EarlyUpload } from '../files/earlyVideoUpload.ts';
import { createEarlyUploadTee } from './earlyUploadTee.ts';
import { openUploadSpool } from './uploadSpool.ts';

export interface SpooledUpload extends Express.Multer.File {
  sha256: string;
  /** The same bytes on their way to S3 already, when the field streams early (see earlyVideoUpload.ts). */
  early?: EarlyUpload;
}

export class FieldTooLargeError extends Error {
  readonly field: string;
  readonly limitBytes: number;

  constructor(field: string, limitBytes: number) {
    super(`${field} is larger than ${limitBytes} bytes`);
    this.name = 'FieldTooLargeError';
    this.field = field;
    this.limitBytes = limitBytes;
  }
}

export interface TempFileStorageOptions {
  tempDir: string;
  limitsByField: Record<string, number>;
  /** Checked when each file part starts; throwing rejects the upload before a byte is written. */
  beforeFile?: (req: Request, field: string) => void;
  /** Starts an early upload for a field's first bytes, or returns undefined to only spool it. */
  startEarlyUpload?: (req: Request, field: string, head: Buffer) => Promise<EarlyUpload | undefined>;
}

const STREAM_BUFFER_BYTES = 1024 * 1024;

const SPOOLING = Symbol('files being spooled');

function spoolingOf(req: Request): Array<Promise<void>> {
  const holder = req as Request & { [SPOOLING]?: Array<Promise<void>> };
  holder[SPOOLING] ??= [];
  return holder[SPOOLING];
}

/**
 * Resolves once every file part of the request has finished spooling or cleaning up. multer
 * reports an error (a limit hit) without waiting for the part still being written, so a route
 * awaits this before answering: a refused upload has then left nothing behind, S3 included.
 */
export async function whenSpoolingSettles(req: Request): Promise<void> {
  await Promise.all(spoolingOf(req));
}

export function createTempFileStorage({
  tempDir,
  limitsByField,
  beforeFile,
  startEarlyUpload,
}: TempFileStorageOptions): multer.StorageEngine {
  return {
    _handleFile(req, file, callback) {
      const handling = (async () => {
        beforeFile?.(req as Request, file.fieldname);
        const limit = limitsByField[file.fieldname] ?? 0;
        const hash = createHash('sha256');
        let size = 0;
        const meter = new Transform({
          // Room for a few network chunks, so a slow disk or S3 write does not stall every one.
          highWaterMark: STREAM_BUFFER_BYTES,
          transform(chunk: Buffer, _encoding, done) {
            size += chunk.length;
            if (size > limit) return done(new FieldTooLargeError(file.fieldname, limit));
            hash.update(chunk);
            done(null, chunk);
          },
        });
        const { path: filePath, stream: spool } = await openUploadSpool(tempDir);
        const tee =
          startEarlyUpload && createEarlyUploadTee((head) => startEarlyUpload(req as Request, file.fieldname, head));
        try {
          await (tee ? pipeline(file.stream, meter, tee, spool) : pipeline(file.stream, meter, spool));
        } catch (error) {
          // The S3 side is settled first (the upload aborted or its object deleted) and the temp
          // file last: once the spool is gone, nothing of this part is left anywhere.
          await (await tee?.started())?.discard();
          await fs.rm(filePath, { force: true });
          // Keep reading (and discarding) the rest of this part so busboy can finish the request.
          file.stream.resume();
          throw error;
        }
        const early = await tee?.started();
        return { path: filePath, size, sha256: hash.digest('hex'), early } as Partial<SpooledUpload>;
      })();
      spoolingOf(req as Request).push(
        handling.then(
          () => undefined,
          () => undefined,
        ),
      );
      handling.then(
        (info) => callback(null, info),
        (error: unknown) => callback(error as Error),
      );
    },

    _removeFile(_req, file, callback) {
      removeSpooledFiles([file as SpooledUpload]).then(() => callback(null), callback);
    },
  };
}

/** Deletes every spooled file of a request, and any early upload nothing recorded; safe to call whatever happened before. */
export async function removeSpooledFiles(files: Iterable<{ path: string; early?: EarlyUpload }>): Promise<void> {
  // S3 first, as when a part fails: a gone temp file then means its object is gone too.
  await Promise.all(
    [...files].map(async (file) => {
      await file.early?.discard();
      await fs.rm(file.path, { force: true });
    }),
  );
}
