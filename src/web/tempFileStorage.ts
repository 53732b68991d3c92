/**
 * A multer storage engine that spools each file to a private temp file, taking its size and
 * SHA-256 on the way, with a byte limit per field (a thumbnail may be 5 MB where a video may
 * be 200 MB). Memory stays flat whatever the upload size, and the temp file can be read twice
 * — once for S3, once more for the local fallback if S3 fails halfway.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request } from 'express';
import type multer from 'multer';

export interface SpooledUpload extends Express.Multer.File {
  sha256: string;
}

export class FieldTooLargeError extends Error {
  constructor(readonly field: string, readonly limitBytes: number) {
    super(`${field} is larger than ${limitBytes} bytes`);
    this.name = 'FieldTooLargeError';
  }
}

export interface TempFileStorageOptions {
  tempDir: string;
  limitsByField: Record<string, number>;
  /** Checked when each file part starts; throwing rejects the upload before a byte is written. */
  beforeFile?: (req: Request, field: string) => void;
}

export function createTempFileStorage({ tempDir, limitsByField, beforeFile }: TempFileStorageOptions): multer.StorageEngine {
  return {
    _handleFile(req, file, callback) {
      void (async () => {
        beforeFile?.(req as Request, file.fieldname);
        const limit = limitsByField[file.fieldname] ?? 0;
        await fs.mkdir(tempDir, { recursive: true, mode: 0o700 });
        const filePath = path.join(tempDir, `upload-${randomBytes(12).toString('hex')}`);
        const hash = createHash('sha256');
        let size = 0;
        const meter = new Transform({
          transform(chunk: Buffer, _encoding, done) {
            size += chunk.length;
            if (size > limit) return done(new FieldTooLargeError(file.fieldname, limit));
            hash.update(chunk);
            done(null, chunk);
          },
        });
        try {
          await pipeline(file.stream, meter, createWriteStream(filePath, { flags: 'wx', mode: 0o600 }));
        } catch (error) {
          await fs.rm(filePath, { force: true });
          // Keep reading (and discarding) the rest of this part so busboy can finish the request.
          file.stream.resume();
          throw error;
        }
        return { path: filePath, size, sha256: hash.digest('hex') } as Partial<SpooledUpload>;
      })().then((info) => callback(null, info), (error: unknown) => callback(error as Error));
    },

    _removeFile(_req, file, callback) {
      fs.rm(file.path, { force: true }).then(() => callback(null), callback);
    },
  };
}

/** Deletes every spooled file of a request; safe to call whatever happened before. */
export async function removeSpooledFiles(files: Iterable<{ path: string }>): Promise<void> {
  await Promise.all([...files].map((file) => fs.rm(file.path, { force: true })));
}
