/**
 * Parses a multipart image upload with every multer limit set explicitly, holding at most
 * `maxBytes` in memory: multer stops keeping the file the moment it passes the limit, so an
 * oversized or hostile body is never buffered whole. The CSRF token is checked as soon as the
 * file part starts (the form sends `_csrf` first), before any file byte is kept.
 */
import { AsyncResource } from 'node:async_hooks';
import multer from 'multer';
import type { Request, Response } from 'express';
import { csrfRefusal, hasValidCsrfToken } from './csrf.ts';
import { refuseDeclaredOversize } from './declaredLength.ts';
import { fileTooLarge } from '../refusals/reasons.ts';
import { CSRF_REJECTED, translateUploadError } from './uploadErrors.ts';

export interface ImageUploadOptions {
  field: string;
  maxBytes: number;
}

export function createImageUploadReceiver({ field, maxBytes }: ImageUploadOptions) {
  const parse = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: maxBytes, files: 1, fields: 5, parts: 6, fieldSize: 1024, fieldNameSize: 64, headerPairs: 100 },
    fileFilter(req, _file, accept) {
      if (!hasValidCsrfToken(req)) return accept(new Error(CSRF_REJECTED));
      accept(null, true);
    },
  }).single(field);

  /** The uploaded file, or undefined when the form had none. Throws Refusal with the reason shown to the member. */
  return function receiveImageUpload(req: Request, res: Response): Promise<Express.Multer.File | undefined> {
    return new Promise((resolve, reject) => {
      if (refuseDeclaredOversize(req, maxBytes)) return reject(fileTooLarge(field, maxBytes));
      // Bound so the request's context (its id on log lines) survives busboy's stream callbacks.
      parse(
        req,
        res,
        AsyncResource.bind((error: unknown) => {
          if (error) return reject(translateUploadError(error, { [field]: maxBytes }));
          if (!hasValidCsrfToken(req)) return reject(csrfRefusal());
          resolve(req.file);
        }),
      );
    });
  };
}
