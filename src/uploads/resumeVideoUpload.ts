/**
 * Resuming an interrupted browser-to-S3 video upload (a closed tab, a reload, a crash, a
 * dropped network). The browser remembers the upload's key in IndexedDB, but only as a hint:
 * the upload id stays in direct_uploads with its member, and resuming needs the same member,
 * an upload still within its lifetime, and the same file — name, size, last-modified time and
 * the SHA-256 of its first MiB, as recorded when it started. The request is checked exactly
 * as a fresh start is (videoUploadRequest.ts); S3 is then asked which parts it already holds
 * (ListParts), and only parts of exactly their planned length count. The browser sends the
 * rest, each signed as before, and completing checks the whole file as for any upload.
 */
import type { Selectable } from 'kysely';
import type { AppDatabase } from '../db/database.ts';
import type { DirectUploadsTable } from '../db/schema.ts';
import type { Logger } from '../logger.ts';
import { directUploadsUnavailable } from '../refusals/reasons.ts';
import { Refusal } from '../refusals/refusal.ts';
import type { GuardedAdapter } from '../storage/circuitBreaker.ts';
import type { MultipartStore, UploadedPart } from '../storage/multipartUploads.ts';
import { partCountFor, partLength } from './videoPartPlan.ts';
import { checkVideoUploadRequest, type VideoUploadRequest } from './videoUploadRequest.ts';

export interface ResumedUpload {
  key: string;
  partBytes: number;
  partCount: number;
  /** The parts S3 already holds, with their ETags for completing. */
  parts: UploadedPart[];
}

/** What resuming needs; directVideoUploads.ts passes its own deps. */
export interface ResumeDeps {
  db: AppDatabase;
  s3: GuardedAdapter;
  multipart: MultipartStore;
  logger: Logger;
  maxVideoBytes: number;
  maxImageBytes: number;
}

type OwnUpload = Selectable<DirectUploadsTable> & { upload_id: string; part_bytes: number };

export const uploadExpired = () => new Refusal(410, 'That upload has expired. Please start again.');
const notTheSameFile = () =>
  new Refusal(
    409,
    'That is not the file this upload started with: its name, size, date or first bytes differ. Choose the same file to resume, or start a new upload.',
    { field: 'video' },
  );
const notResumable = () =>
  new Refusal(
    409,
    'That upload was started without what identifies its file, so it cannot be resumed. Please start again.',
  );

/** `upload` is the caller's own unfinished, unexpired upload (directVideoUploads.ts checked that). */
export async function resumeVideoUpload(
  deps: ResumeDeps,
  upload: OwnUpload,
  request: VideoUploadRequest,
): Promise<ResumedUpload> {
  const checked = checkVideoUploadRequest(request, deps);
  const file = request.file;
  if (upload.file_name === null || upload.file_last_modified === null || upload.file_head_sha256 === null)
    throw notResumable();
  if (
    !file ||
    file.name !== upload.file_name ||
    file.lastModified !== upload.file_last_modified ||
    file.headSha256 !== upload.file_head_sha256 ||
    request.size !== upload.max_bytes
  )
    throw notTheSameFile();

  let stored: Awaited<ReturnType<typeof deps.multipart.listParts>>;
  try {
    stored = await deps.s3.guard(() => deps.multipart.listParts(upload.key, upload.upload_id));
  } catch (error) {
    deps.logger.warn({ key: upload.key, err: error }, 'Could not list the parts of an upload to resume');
    throw directUploadsUnavailable();
  }
  if (!stored) {
    // Aborted by storage:gc or the bucket's lifecycle rule: the row is all that is left of it.
    await deps.db
      .deleteFrom('direct_uploads')
      .where('key', '=', upload.key)
      .where('finalized_at', 'is', null)
      .execute();
    throw uploadExpired();
  }
  // The member may have retyped the form: the video gets what the form says now.
  await deps.db
    .updateTable('direct_uploads')
    .set({ title: checked.title, description: checked.description })
    .where('key', '=', upload.key)
    .execute();
  const partCount = partCountFor(upload.max_bytes, upload.part_bytes);
  const parts = stored
    .filter(
      (part) =>
        part.partNumber <= partCount && part.size === partLength(upload.max_bytes, upload.part_bytes, part.partNumber),
    )
    .map(({ partNumber, etag }) => ({ partNumber, etag }));
  return { key: upload.key, partBytes: upload.part_bytes, partCount, parts };
}
