/** The tables, as Kysely sees them. stored_files holds every stored object (images and videos). Migrations in migrations.ts are the source of truth. */
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

type CreatedAt = ColumnType<Date, never, never>;

export interface UsersTable {
  id: Generated<number>;
  username: string;
  password_hash: string;
  avatar_image_id: number | null;
  created_at: CreatedAt;
}

export interface StoredFilesTable {
  id: Generated<number>;
  owner_id: number | null;
  folder: string;
  /** The object key, e.g. "avatars/u12-3f9a….jpg"; the same in every backend. */
  key: string;
  /** Where the bytes live now. URLs are computed from this at render time, never stored. */
  /** 'db': kept in the outage store (fallback_blobs) until resync moves it to S3. */
  location: 's3' | 'local' | 'db';
  content_type: string;
  /** bigint: a video may exceed 2 GiB (read as a checked number, int8.ts). */
  bytes: number;
  sha256: string;
  /** Pixel size of the largest variant; null for videos and pre-pipeline images. */
  width: number | null;
  height: number | null;
  /** A tiny blurred preview as a data: URI, drawn while the image loads. */
  placeholder: string | null;
  /** The VARIANT_SPEC_VERSION the variants were made with; null before the pipeline existed. */
  spec_version: number | null;
  /** Every size the server made, largest first (its key is also `key`); null for videos. */
  variants: ColumnType<StoredVariant[] | null, string | null, string | null>;
  /** The full-object CRC64NVME S3 computed on receipt of the object at `key` (base64); null before checksums, or on local disk. */
  checksum: ColumnType<string | null, string | null | undefined, string | null>;
  /** When the backup bucket last held a verified copy of every object of this file; null = a copy is owed. */
  backed_up_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** Set when the bytes of a local file vanished (an ephemeral disk was wiped); pages show a placeholder. */
  lost_at: Date | null;
  created_at: CreatedAt;
}

/**
 * The outbox: copies still owed to a bucket. "primary" moves a file that fell back to local
 * disk into S3; "backup" copies an S3 object to the backup bucket. A row in state "cleanup"
 * has been copied and verified and only waits for its local leftovers to be removed.
 */
export interface PendingCopiesTable {
  id: Generated<number>;
  file_id: number;
  target: 'primary' | 'backup';
  state: ColumnType<'copy' | 'cleanup', 'copy' | 'cleanup' | undefined, 'copy' | 'cleanup'>;
  attempts: Generated<number>;
  next_attempt_at: ColumnType<Date, Date | undefined, Date>;
  last_error: string | null;
  created_at: CreatedAt;
}

export interface StoredVariant {
  key: string;
  width: number;
  height: number;
  bytes: number;
  sha256: string;
  /** As stored_files.checksum, for this variant's object. */
  checksum?: string | undefined;
}

export interface SessionsTable {
  sid: string;
  data: string;
  expires_at: Date;
}

export interface VideosTable {
  id: Generated<number>;
  owner_id: number;
  title: string;
  description: string;
  /** Set for link submissions; null when the video was uploaded. */
  source_url: string | null;
  /** The uploaded video (folder uploads/); null for link submissions. */
  video_file_id: number | null;
  thumbnail_file_id: number | null;
  /** Kept in step with the votes table inside each vote's transaction, so ranking needs no COUNT. */
  vote_count: Generated<number>;
  created_at: CreatedAt;
}

export interface VotesTable {
  video_id: number;
  user_id: number;
  created_at: CreatedAt;
}

/** An upload a browser was allowed to send straight to S3, until the app has checked and finalized it. */
export interface DirectUploadsTable {
  /** The temporary object key, under incoming/u<user>/. */
  key: string;
  user_id: number;
  purpose: 'avatar' | 'thumbnail' | 'video';
  video_id: number | null;
  /** Images: the size limit. Videos: the declared size, which the signed part lengths add up to. bigint. */
  max_bytes: number;
  created_at: CreatedAt;
  finalized_at: Date | null;
  /** Videos only: the S3 multipart upload id, the planned part size, and the form's text. */
  upload_id: ColumnType<string | null, string | null | undefined, never>;
  part_bytes: ColumnType<number | null, number | null | undefined, never>;
  /** Rewritten when the upload is resumed, so the video gets the form's latest text. */
  title: ColumnType<string | null, string | null | undefined, string | null>;
  description: ColumnType<string | null, string | null | undefined, string | null>;
  /** Videos only: the file the upload was started with, so only the same file resumes it (resumeVideoUpload.ts). */
  file_name: ColumnType<string | null, string | null | undefined, never>;
  file_last_modified: ColumnType<number | null, number | null | undefined, never>;
  file_head_sha256: ColumnType<string | null, string | null | undefined, never>;
  /** Images: signed → processing (finalize queued the job) → stored or refused (the job's outcome). */
  state: ColumnType<DirectUploadState, DirectUploadState | undefined, DirectUploadState>;
  /** The sentence the member is shown when the job refused the bytes. */
  refusal: ColumnType<string | null, string | null | undefined, string | null>;
  stored_file_id: ColumnType<number | null, number | null | undefined, number | null>;
  /** When the job stored or refused it. */
  settled_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export type DirectUploadState = 'signed' | 'processing' | 'stored' | 'refused';

/** Bytes each member uploaded, for the daily upload quota (rows older than a day are pruned). */
export interface UploadLedgerTable {
  id: Generated<number>;
  member_id: number;
  /** bigint: a single video may exceed 2 GiB (read as a checked number, int8.ts). */
  bytes: number;
  created_at: CreatedAt;
}

/** S3 requests the app made, per calendar month (UTC, "2026-12"), bucket and billing class. */
export interface StorageRequestsTable {
  month: string;
  target: 'primary' | 'backup';
  kind: 'put' | 'get' | 'list' | 'delete';
  /** bigint, read back as a string. */
  count: ColumnType<string, string, string>;
}

export interface Database {
  users: UsersTable;
  videos: VideosTable;
  votes: VotesTable;
  stored_files: StoredFilesTable;
  pending_copies: PendingCopiesTable;
  direct_uploads: DirectUploadsTable;
  sessions: SessionsTable;
  upload_ledger: UploadLedgerTable;
  storage_requests: StorageRequestsTable;
  jobs: JobsTable;
  workers: WorkersTable;
  job_schedules: JobSchedulesTable;
  rate_limit_hits: RateLimitHitsTable;
}

/** The job queue (src/jobs/jobQueue.ts). */
export interface JobsTable {
  /** bigserial: node-pg returns int8 as a string. */
  id: ColumnType<string, never, never>;
  kind: string;
  payload: ColumnType<unknown, string | undefined, string>;
  dedupe_key: string | null;
  run_at: ColumnType<Date, Date | undefined, Date>;
  attempts: Generated<number>;
  max_attempts: Generated<number>;
  locked_by: string | null;
  locked_until: Date | null;
  last_error: string | null;
  failed_at: Date | null;
  created_at: CreatedAt;
}

export interface WorkersTable {
  id: string;
  mode: 'inline' | 'external';
  started_at: CreatedAt;
  seen_at: ColumnType<Date, Date | undefined, Date>;
}

export interface JobSchedulesTable {
  name: string;
  next_run_at: Date;
}

/** express-rate-limit counts shared by every instance (src/web/databaseRateLimitStore.ts). */
export interface RateLimitHitsTable {
  key: string;
  hits: number;
  reset_at: Date;
}

export type UserRow = Selectable<UsersTable>;
export type VideoRow = Selectable<VideosTable>;
export type PendingCopyRow = Selectable<PendingCopiesTable>;
export type StoredFileRow = Selectable<StoredFilesTable>;
export type NewStoredFileRow = Insertable<StoredFilesTable>;
