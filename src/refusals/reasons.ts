/**
 * Every reason the app refuses something that is said in more than one place, each made by
 * one function so its sentence exists once. A reason used in one place only is made there,
 * with `new Refusal(...)`.
 */
import { Refusal } from './refusal.ts';

const ACCEPTED_IMAGE_FORMATS = 'JPEG, PNG, WebP, GIF or AVIF';
const ACCEPTED_VIDEO_FORMATS = 'MP4 or WebM';

/** Bytes as megabytes with one decimal, as the limits are stated to members. */
export function megabytes(bytes: number): number {
  return Math.round((bytes / (1024 * 1024)) * 10) / 10;
}

/** A file over its byte limit; `field` says which file ("video" for videos, any other for images). */
export function fileTooLarge(field: string, limitBytes: number, cause?: unknown): Refusal {
  const noun = field === 'video' ? 'Videos' : 'Images';
  return new Refusal(413, `That file is too large. ${noun} can be at most ${megabytes(limitBytes)} MB.`, {
    cause,
    field,
  });
}

/** A declared or sniffed type that is not an image we accept; `what` says what it was instead, when known. */
export function notAcceptedImage(what = '', field?: string): Refusal {
  const sentence = `${what ? `${what} ` : ''}Please upload a ${ACCEPTED_IMAGE_FORMATS} image.`;
  return new Refusal(415, sentence, { field });
}

/** A type that is not a video we accept; `sniffed` says what the bytes were, when they were looked at. */
export function notAcceptedVideo(sniffed?: { detected: string | undefined }): Refusal {
  const what = !sniffed
    ? ''
    : sniffed.detected
      ? `That file is a ${sniffed.detected} file, not a video we accept. `
      : 'That file is not a video we recognise. ';
  return new Refusal(415, `${what}Please upload an ${ACCEPTED_VIDEO_FORMATS} video.`, { field: 'video' });
}

export const noImageChosen = (field?: string) => new Refusal(400, 'Please choose an image file to upload.', { field });
export const noSuchVideo = () => new Refusal(404, 'There is no such video.');
export const notYourVideo = () => new Refusal(403, 'Only the member who submitted this video can change it.');
export const noSuchUpload = () => new Refusal(404, 'There is no such upload.');
export const notYourUpload = () => new Refusal(403, 'That upload is not yours.');
export const uploadNotInStorage = () => new Refusal(400, 'The upload did not reach storage. Please try again.');
/** A direct image upload the worker tried to process again and again without success (not a fault of the bytes). */
export const directImageNotProcessed = () =>
  new Refusal(503, 'Your picture could not be processed just now. Please upload it again in a few minutes.');
export const damagedImage = (cause: unknown) =>
  new Refusal(
    422,
    'That image is damaged or incomplete, so it cannot be read. Please upload it again or choose another.',
    { cause },
  );
/** S3 unreachable and no fallback possible (both backends failed, or the upload can only live in S3). */
export const storageUnavailable = (cause?: unknown) =>
  new Refusal(503, 'Storage is unavailable right now. Please try again in a minute.', { cause });
/** S3 is down and the outage store in PostgreSQL (files/fallbackBlobs.ts) holds its whole bound. */
export const outageStoreFull = (cause?: unknown) =>
  new Refusal(
    503,
    'S3 is not answering and the space kept for uploads during an outage is full. Please try again in a few minutes.',
    { cause },
  );
/** S3 is down and this file is larger than the outage store takes per file. */
export const outageFileTooLarge = (maxMb: number, cause?: unknown) =>
  new Refusal(
    503,
    `S3 is not answering, and until it is back files can be at most ${maxMb} MB. Please try again later.`,
    { cause },
  );
/**
 * The local disk has no room for the upload (ENOSPC): a fallback write while S3 is away, the
 * local store, or the spool of a form upload. Nothing of it was kept. 507 Insufficient Storage.
 */
export const localDiskFull = (field?: string, cause?: unknown) =>
  new Refusal(
    507,
    "The server's disk is full, so your upload could not be kept and nothing was saved. Please try again later.",
    { cause, field },
  );
/**
 * The database cannot be reached or is restarting (db/databaseUnavailable.ts): nothing was
 * changed, and the same request will work once it is back. Answered with Retry-After.
 */
export const databaseUnavailable = (cause?: unknown) =>
  new Refusal(503, 'The database is not answering right now, so nothing was changed. Please try again in a minute.', {
    cause,
  });
/** Direct (browser-to-S3) uploads cannot be used now: the browser sends the form to the app instead. */
export const directUploadsUnavailable = () =>
  new Refusal(409, 'Direct uploads are unavailable right now; send the form to the app instead.');
/** This instance already receives and stores as many uploads as it takes at once (UPLOADS_IN_FLIGHT). */
export const tooManyUploadsInFlight = (retryAfterSeconds: number) =>
  new Refusal(
    503,
    `Many uploads are being stored right now, so yours was not taken. Please send it again in ${retryAfterSeconds} seconds.`,
  );
