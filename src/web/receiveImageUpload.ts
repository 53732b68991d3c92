/**
 * Parses a multipart image upload with every multer limit set explicitly. The file is spooled
 * to a private temp file (imageSpool.ts), never held in memory, and multer stops writing it the
 * moment it passes `maxBytes`, so an oversized or hostile body is never kept whole. The CSRF
 * token is checked as soon as the file part starts (the form sends `_csrf` first), before any
 * file byte is kept.
 */
import { AsyncResource } from 'node:async_hooks';
import multer from 'multer';
import type { Request, Response } from 'express';
import { csrfRefusal, hasValidCsrfToken } from './csrf.ts';
import { refuseDeclaredOversize } from './declaredLength.ts';
import { createImageSpool, removeSpooledImage } from './imageSpool.ts';
import { fileTooLarge } from '../refusals/reasons.ts';
import { CSRF_REJECTED, translateUploadError } from './uploadErrors.ts';

export interface ImageUploadOptions {
  field: string;
  maxBytes: number;
  /** Where uploads are spooled while they are processed (UPLOAD_TEMP_DIR). */
  tempDir: string;
}

/** A received image: its spooled file and size in bytes. */
export interface ReceivedImage {
  path: string;
  size: number;
}

export function createImageUploadReceiver({ field, maxBytes, tempDir }: ImageUploadOptions) {
  const parse = multer({
    storage: createImageSpool(tempDir),
    limits: { fileSize: maxBytes, files: 1, fields: 5, parts: 6, fieldSize: 1024, fieldNameSize: 64, headerPairs: 100 },
    fileFilter(req, _file, accept) {
      if (!hasValidCsrfToken(req)) return accept(new Error(CSRF_REJECTED));
      accept(null, true);
    },
  }).single(field);

  /** The uploaded file, or undefined when the form had none. Throws Refusal with the reason shown to the member. */
  const receive = (req: Request, res: Response): Promise<ReceivedImage | undefined> =>
    new Promise((resolve, reject) => {
      if (refuseDeclaredOversize(req, maxBytes)) return reject(fileTooLarge(field, maxBytes));
      // Bound so the request's context (its id on log lines) survives busboy's stream callbacks.
      parse(
        req,
        res,
        AsyncResource.bind((error: unknown) => {
          if (error) return reject(translateUploadError(error, { [field]: maxBytes }));
          const file = req.file && { path: req.file.path, size: req.file.size };
          if (!hasValidCsrfToken(req)) {
            if (file) void removeSpooledImage(file.path).catch(() => undefined);
            return reject(csrfRefusal());
          }
          resolve(file);
        }),
      );
    });

  /**
   * Receives the upload and hands it to `use`; the spooled file is removed once `use` settles,
   * whether it stored the image or refused it. Resolves or rejects as `use` does.
   */
  return async function withImageUpload<T>(
    req: Request,
    res: Response,
    use: (file: ReceivedImage | undefined) => Promise<T>,
  ): Promise<T> {
    const file = await receive(req, res);
    try {
      return await use(file);
    } finally {
      // A leftover temp file is only garbage; the outcome of the upload is what the member needs.
      if (file) await removeSpooledImage(file.path).catch(() => undefined);
    }
  };
}
