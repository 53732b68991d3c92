/**
 * Parses the "submit a video" form: text fields, an optional thumbnail and an optional video
 * file, each spooled to a temp file under its own byte limit. The caller must hand the
 * returned files to `removeSpooledFiles` when done, whatever happened.
 */
import { AsyncResource } from 'node:async_hooks';
import multer from 'multer';
import type { Request, Response } from 'express';
import { csrfRefusal, hasValidCsrfToken } from './csrf.ts';
import type { StartEarlyVideoUpload } from '../files/earlyVideoUpload.ts';
import { signedInUser } from './currentUser.ts';
import { createTempFileStorage, type SpooledUpload } from './tempFileStorage.ts';
import { refuseDeclaredOversize } from './declaredLength.ts';
import { fileTooLarge } from '../refusals/reasons.ts';
import { CSRF_REJECTED, translateUploadError } from './uploadErrors.ts';

export interface VideoSubmission {
  fields: Record<string, string>;
  thumbnail: SpooledUpload | undefined;
  video: SpooledUpload | undefined;
}

export interface VideoSubmissionOptions {
  maxImageBytes: number;
  maxVideoBytes: number;
  tempDir: string;
  /** With S3, the video streams on to it as it arrives (storage/earlyVideoUpload.ts). */
  startEarlyVideoUpload?: StartEarlyVideoUpload;
}

export function createVideoSubmissionReceiver(options: VideoSubmissionOptions) {
  const startEarly = options.startEarlyVideoUpload;
  const limitsByField = { thumbnail: options.maxImageBytes, video: options.maxVideoBytes };
  const parse = multer({
    storage: createTempFileStorage({
      tempDir: options.tempDir,
      limitsByField,
      beforeFile(req) {
        if (!hasValidCsrfToken(req)) throw new Error(CSRF_REJECTED);
      },
      // requireUser ran before the body was read, so the member is known; keys carry their prefix.
      startEarlyUpload:
        startEarly &&
        (async (req, field, head) =>
          field === 'video' ? startEarly(`u${signedInUser(req.res!).id}`, head) : undefined),
    }),
    limits: {
      fileSize: Math.max(options.maxImageBytes, options.maxVideoBytes),
      files: 2,
      fields: 8,
      parts: 10,
      fieldSize: 4096,
      fieldNameSize: 64,
      headerPairs: 100,
    },
  }).fields([
    { name: 'thumbnail', maxCount: 1 },
    { name: 'video', maxCount: 1 },
  ]);

  return function receiveVideoSubmission(req: Request, res: Response): Promise<VideoSubmission> {
    return new Promise((resolve, reject) => {
      if (refuseDeclaredOversize(req, options.maxImageBytes + options.maxVideoBytes))
        return reject(fileTooLarge('video', options.maxVideoBytes));
      // Bound so the request's context (its id on log lines) survives busboy's stream callbacks.
      parse(
        req,
        res,
        AsyncResource.bind((error: unknown) => {
          if (error) return reject(translateUploadError(error, limitsByField));
          if (!hasValidCsrfToken(req)) return reject(csrfRefusal());
          const files = (req.files ?? {}) as Record<string, SpooledUpload[] | undefined>;
          const fields = Object.fromEntries(
            Object.entries((req.body ?? {}) as Record<string, unknown>).filter(
              (entry): entry is [string, string] => typeof entry[1] === 'string',
            ),
          );
          resolve({ fields, thumbnail: files.thumbnail?.[0], video: files.video?.[0] });
        }),
      );
    });
  };
}
