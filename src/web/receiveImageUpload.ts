/**
 * Parses a multipart image upload with every multer limit set explicitly, holding at most
 * `maxBytes` in memory: multer stops reading the file the moment it passes the limit, so
 * an oversized or hostile body never gets buffered whole. The CSRF token is checked as soon
 * as the file part starts (the form sends `_csrf` first), before any file byte is kept.
 */
import multer from 'multer';
import type { Request, Response } from 'express';
import { CSRF_FAILURE_MESSAGE, hasValidCsrfToken } from './csrf.js';
import { HttpError } from './httpError.js';

export interface ImageUploadOptions {
  field: string;
  maxBytes: number;
}

const CSRF_REJECTED = 'CSRF_REJECTED';

export function createImageUploadReceiver({ field, maxBytes }: ImageUploadOptions) {
  const parse = multer({
    storage: multer.memoryStorage(),
    limits: {
      fileSize: maxBytes,
      files: 1,
      fields: 5,
      parts: 6,
      fieldSize: 1024,
      fieldNameSize: 64,
      headerPairs: 100,
    },
    fileFilter(req, _file, accept) {
      if (!hasValidCsrfToken(req)) return accept(new Error(CSRF_REJECTED));
      accept(null, true);
    },
  }).single(field);

  const megabytes = Math.round((maxBytes / (1024 * 1024)) * 10) / 10;

  /** The uploaded file, or undefined when the form had none. Throws HttpError with the reason shown to the member. */
  return function receiveImageUpload(req: Request, res: Response): Promise<Express.Multer.File | undefined> {
    return new Promise((resolve, reject) => {
      parse(req, res, (error: unknown) => {
        if (error === undefined || error === null) {
          if (!hasValidCsrfToken(req)) return reject(new HttpError(403, CSRF_FAILURE_MESSAGE));
          return resolve(req.file);
        }
        reject(translateUploadError(error, field, megabytes));
      });
    });
  };
}

function translateUploadError(error: unknown, field: string, megabytes: number): HttpError {
  if (error instanceof Error && error.message === CSRF_REJECTED) return new HttpError(403, CSRF_FAILURE_MESSAGE);
  if (error instanceof multer.MulterError) {
    switch (error.code) {
      case 'LIMIT_FILE_SIZE':
        return new HttpError(413, `That file is too large. Images can be at most ${megabytes} MB.`, { cause: error });
      case 'LIMIT_UNEXPECTED_FILE':
        return new HttpError(400, `Please send one image in the "${field}" field.`, { cause: error });
      default:
        return new HttpError(400, `The upload was malformed (${error.code}). Please try again from the form.`, { cause: error });
    }
  }
  return new HttpError(400, 'The upload could not be read. Please try again from the form.', { cause: error });
}
