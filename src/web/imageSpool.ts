/**
 * A multer storage engine for form image uploads: the file goes to a private temp file as it
 * arrives, and libvips later reads it from there while decoding. Held in memory instead, a
 * burst of 3 MB photos waiting for the image queue stayed resident, and glibc kept the freed
 * buffers' pages long after (bench/README.md, "avatar uploads lighter"). The caller removes
 * the file once the image is processed (receiveImageUpload.ts does, whatever the outcome);
 * multer removes it itself when the upload is refused halfway (a limit, a closed connection).
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type multer from 'multer';
import { localDiskFull } from '../refusals/reasons.ts';
import { isDiskFull } from '../storage/diskFull.ts';

/** Removes a spooled file; a file already gone is fine. */
export async function removeSpooledImage(filePath: string): Promise<void> {
  await unlink(filePath).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}

export function createImageSpool(tempDir: string): multer.StorageEngine {
  // Created once, at start-up: each upload then only opens a file.
  mkdirSync(tempDir, { recursive: true, mode: 0o700 });
  return {
    _handleFile(_req, file, done) {
      // A full disk (or quota) is the one disk-full refusal, shown on the form by the file field.
      const filePath = path.join(tempDir, `image-${randomBytes(16).toString('hex')}`);
      // 'wx': never follow or reuse a file someone else put there; 0o600: only this process reads it.
      const spool = createWriteStream(filePath, { flags: 'wx', mode: 0o600 });
      pipeline(file.stream, spool).then(
        () => done(null, { path: filePath, size: spool.bytesWritten }),
        async (error: NodeJS.ErrnoException) => {
          await removeSpooledImage(filePath).catch(() => undefined);
          done(isDiskFull(error) ? localDiskFull(file.fieldname, error) : error);
        },
      );
    },
    _removeFile(_req, file, done) {
      removeSpooledImage(file.path).then(
        () => done(null),
        (error: unknown) => done(error as Error),
      );
    },
  };
}
