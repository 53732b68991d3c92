/**
 * The end of a soak run, once the outbox has drained: what the database and the bucket hold.
 * Every stored file's row must say S3 and every object it names must answer a HEAD; every
 * upload the members were told was stored must be found (the slot's current file at least as
 * new as the last accepted upload into it, or the video with its file of the right size); the
 * outage store and the local disk must be empty again. Objects nobody's row names are counted
 * (storage:gc's work), as are temporary incoming/ objects left by uploads cut off halfway.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { STORAGE_GC_JOB } from '../../src/files/storageJobs.ts';
import { runPool } from '../support/pool.ts';
import type { UploadAttempt, UploadKind } from './trafficReport.ts';

interface FileRow {
  id: number;
  key: string;
  location: string;
  bytes: string;
  lost_at: Date | null;
  created_at: Date;
  variants: Array<{ key: string }> | null;
}

export interface StorageAudit {
  filesByLocation: Record<string, number>;
  lostFiles: number;
  missingObjects: string[];
  /** Accepted uploads not found as the member was told, each with the reason. */
  lostUploads: Array<{ kind: UploadKind; detail: string }>;
  /** Accepted avatars and thumbnails later replaced by another accepted upload into the same slot. */
  superseded: number;
  outageStoreFiles: number;
  outageStoreBytes: number;
  pendingPrimaryCopies: number;
  localFiles: number;
  orphanObjects: number;
  /** The first few of them with their age, which says who could have left them. */
  orphanSamples: string[];
  /** When the youngest object without a row (incoming/ included) was written, epoch ms; undefined when there is none. */
  newestLeftoverAt: number | undefined;
  incomingLeftovers: number;
  /** Every member and video in the database, for the page audit. */
  usernames: string[];
  videoIds: number[];
}

/**
 * Polls until the run has settled — no copy owed, no row outside S3, and no job the worker
 * still owes (a direct image whose worker was killed is retried once its lease runs out, and
 * writes its objects then) — or `withinMs` has passed. Until then an audit would count the
 * objects of a job halfway through as having no row. Blobs no row waits on are not resync's
 * to move but storage:gc's to remove; the audit after gc counts what is left of them.
 */
export async function waitUntilSettled(databaseUrl: string, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const waiting = await withDatabase(databaseUrl, async (db) => {
      // The periodic storage-gc job is left out: it is the daily job the soak runs by hand at the end.
      const { rows } = await db.query<{ n: number }>(
        `select (select count(*) from pending_copies where target = 'primary')::int
              + (select count(*) from stored_files where location <> 's3' and lost_at is null)::int
              + (select count(*) from jobs where failed_at is null and kind <> $1)::int as n`,
        [STORAGE_GC_JOB],
      );
      return rows[0]?.n ?? 0;
    }).catch(() => Number.POSITIVE_INFINITY);
    if (waiting === 0) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

export async function auditStorage(options: {
  databaseUrl: string;
  s3: S3Client;
  bucket: string;
  localStorageDir: string;
  uploads: readonly UploadAttempt[];
}): Promise<StorageAudit> {
  const { s3, bucket } = options;
  return withDatabase(options.databaseUrl, async (db) => {
    const files = (
      await db.query<FileRow>('select id, key, location, bytes, lost_at, created_at, variants from stored_files')
    ).rows;
    const byId = new Map(files.map((file) => [file.id, file]));
    const keysOf = (file: FileRow) => [...new Set([file.key, ...(file.variants ?? []).map((variant) => variant.key)])];
    const sizes = new Map<string, number | undefined>();
    await runPool(files.length, 8, async (index) => {
      for (const key of keysOf(files[index]!)) sizes.set(key, await headSize(s3, bucket, key));
    });
    const missingObjects = [...sizes].filter(([, size]) => size === undefined).map(([key]) => key);
    const problemWith = (file: FileRow | undefined, notBefore?: number): string | undefined => {
      if (!file) return 'no file row';
      if (file.lost_at) return `${file.key} is marked lost`;
      if (file.location !== 's3') return `${file.key} is still in ${file.location}`;
      const missing = keysOf(file).filter((key) => sizes.get(key) === undefined);
      if (missing.length > 0) return `${missing.join(', ')} not in the bucket`;
      if (notBefore !== undefined && file.created_at.getTime() < notBefore - 1_000)
        return `the slot holds an older file (${file.key}, ${file.created_at.toISOString()})`;
      return undefined;
    };

    const users = new Map(
      (
        await db.query<{ username: string; avatar_image_id: number | null }>(
          'select username, avatar_image_id from users',
        )
      ).rows.map((user) => [user.username, user.avatar_image_id]),
    );
    const videos = new Map(
      (
        await db.query<{ id: number; video_file_id: number | null; thumbnail_file_id: number | null }>(
          'select id, video_file_id, thumbnail_file_id from videos',
        )
      ).rows.map((video) => [video.id, video]),
    );
    const accepted = options.uploads.filter((upload) => upload.accepted);
    const lostUploads: StorageAudit['lostUploads'] = [];
    const lose = (upload: UploadAttempt, why: string) =>
      lostUploads.push({
        kind: upload.kind,
        detail: `${upload.kind} by ${upload.member} at ${new Date(upload.startedAt).toISOString()}: ${why}`,
      });
    // Only the last accepted upload into a slot can still be there; the earlier ones were replaced on purpose.
    const lastInSlot = new Map<string, UploadAttempt>();
    for (const upload of accepted) {
      const slot = upload.kind.startsWith('avatar')
        ? `avatar ${upload.member}`
        : upload.kind === 'thumbnail'
          ? `thumbnail ${upload.videoId}`
          : undefined;
      if (!slot) continue;
      const before = lastInSlot.get(slot);
      if (!before || before.startedAt < upload.startedAt) lastInSlot.set(slot, upload);
    }
    for (const upload of lastInSlot.values()) {
      const fileId =
        upload.kind === 'thumbnail' ? videos.get(upload.videoId!)?.thumbnail_file_id : users.get(upload.member);
      const why = problemWith(fileId == null ? undefined : byId.get(fileId), upload.startedAt);
      if (why) lose(upload, why);
    }
    for (const upload of accepted.filter((each) => each.kind.startsWith('video'))) {
      const video = videos.get(upload.videoId!);
      if (!video) {
        lose(upload, `video ${upload.videoId} has no row`);
        continue;
      }
      const file = video.video_file_id === null ? undefined : byId.get(video.video_file_id);
      const why =
        problemWith(file) ??
        (Number(file!.bytes) !== upload.videoBytes ? `stored ${file!.bytes} bytes of ${upload.videoBytes}` : undefined);
      if (why) lose(upload, why);
      else if (upload.withThumbnail) {
        const thumbnailWhy = problemWith(
          video.thumbnail_file_id === null ? undefined : byId.get(video.thumbnail_file_id),
        );
        if (thumbnailWhy) lose(upload, `its thumbnail: ${thumbnailWhy}`);
      }
    }

    const filesByLocation: Record<string, number> = {};
    for (const file of files) filesByLocation[file.location] = (filesByLocation[file.location] ?? 0) + 1;
    const { rows: store } = await db.query<{ files: number; bytes: string; pending: number }>(
      `select (select count(*) from fallback_blobs)::int as files, (select bytes from fallback_usage) as bytes,
              (select count(*) from pending_copies where target = 'primary')::int as pending`,
    );
    const listed = await listObjects(s3, bucket);
    const bucketKeys = listed.map((object) => object.key);
    const known = new Set(files.flatMap(keysOf));
    const orphans = listed.filter(({ key }) => !key.startsWith('incoming/') && !known.has(key));
    const leftovers = listed.filter(({ key }) => key.startsWith('incoming/') || !known.has(key));
    return {
      filesByLocation,
      lostFiles: files.filter((file) => file.lost_at !== null).length,
      missingObjects,
      lostUploads,
      superseded: accepted.filter((upload) => !upload.kind.startsWith('video')).length - lastInSlot.size,
      outageStoreFiles: store[0]?.files ?? 0,
      outageStoreBytes: Number(store[0]?.bytes ?? 0),
      pendingPrimaryCopies: store[0]?.pending ?? 0,
      localFiles: await countFiles(options.localStorageDir),
      orphanObjects: orphans.length,
      orphanSamples: orphans
        .slice(0, 10)
        .map(({ key, lastModified }) => `${key} (written ${((Date.now() - lastModified) / 1000).toFixed(1)} s ago)`),
      newestLeftoverAt: leftovers.length > 0 ? Math.max(...leftovers.map((object) => object.lastModified)) : undefined,
      incomingLeftovers: bucketKeys.filter((key) => key.startsWith('incoming/')).length,
      usernames: [...users.keys()],
      videoIds: [...videos.keys()],
    };
  });
}

async function headSize(s3: S3Client, bucket: string, key: string): Promise<number | undefined> {
  try {
    return (await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ContentLength ?? 0;
  } catch {
    // Not found, or not answering: either way the object cannot be served.
    return undefined;
  }
}

async function listObjects(s3: S3Client, bucket: string): Promise<Array<{ key: string; lastModified: number }>> {
  const objects: Array<{ key: string; lastModified: number }> = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const object of page.Contents ?? [])
      if (object.Key) objects.push({ key: object.Key, lastModified: object.LastModified?.getTime() ?? 0 });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return objects;
}

/** Files under the app's local storage directory (the fallback of last resort), at any depth. */
async function countFiles(dir: string): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile() && !path.basename(entry.name).startsWith('.')).length;
}

async function withDatabase<T>(url: string, use: (db: pg.Client) => Promise<T>): Promise<T> {
  const db = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await db.connect();
  try {
    return await use(db);
  } finally {
    await db.end();
  }
}
