/** Turns multer and spooling failures into the status and sentence a member should see. */
import multer from 'multer';
import { csrfRefusal } from './csrf.ts';
import { fileTooLarge, localDiskFull } from '../refusals/reasons.ts';
import { isDiskFull } from '../storage/diskFull.ts';
import { Refusal } from '../refusals/refusal.ts';
import { FieldTooLargeError } from './tempFileStorage.ts';

export const CSRF_REJECTED = 'CSRF_REJECTED';

/** What each multer limit means to a member (HOSTILE-INPUT #3: every limit is set and explained). */
const LIMIT_EXCEEDED: Partial<Record<multer.ErrorCode, string>> = {
  LIMIT_PART_COUNT: 'too many parts',
  LIMIT_FILE_COUNT: 'too many files',
  LIMIT_FIELD_COUNT: 'too many fields',
  LIMIT_FIELD_KEY: 'a field name that is too long',
  LIMIT_FIELD_VALUE: 'a field value that is too long',
};

/** `limitsByField` names each file field's byte limit, to say which file was too large. */
export function translateUploadError(error: unknown, limitsByField: Record<string, number>): Refusal {
  if (error instanceof Refusal) return error;
  if (error instanceof Error && error.message === CSRF_REJECTED) return csrfRefusal();
  if (error instanceof FieldTooLargeError) return fileTooLarge(error.field, error.limitBytes, error);
  // The spool ran out of room (UPLOAD_TEMP_DIR's disk is full); the spool already removed its partial file.
  if (isDiskFull(error)) return localDiskFull(undefined, error);
  if (error instanceof multer.MulterError) {
    const field = error.field ?? Object.keys(limitsByField)[0] ?? 'file';
    switch (error.code) {
      case 'LIMIT_FILE_SIZE':
        return fileTooLarge(field, limitsByField[field] ?? 0, error);
      case 'LIMIT_UNEXPECTED_FILE':
        return new Refusal(
          400,
          `The form sent a file in an unexpected field ("${field}"). Please use the form on the page.`,
          { cause: error },
        );
      default: {
        const what = LIMIT_EXCEEDED[error.code];
        if (what) return new Refusal(400, `The form sent ${what}. Please use the form on the page.`, { cause: error });
        return new Refusal(400, `The upload was malformed (${error.code}). Please try again from the form.`, {
          cause: error,
        });
      }
    }
  }
  return new Refusal(400, 'The upload could not be read. Please try again from the form.', { cause: error });
}
