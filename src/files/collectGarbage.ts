/**
 * `storage:gc`: finds objects (in S3) and files (on local disk) under the image folders that
 * no stored_files row references in that location — leftovers of interrupted uploads,
 * deletes whose object delete failed, resyncs stopped before their clean-up — and, only when
 * asked, deletes them. Anything younger than the grace period is left alone: an upload
 * writes its bytes before it inserts its row, so a fresh unreferenced object may be one
 * whose row is about to exist.
 */
import type { AppDatabase } from '../db/database.ts';
import type { Logger } from '../logger.ts';
import { isSafeKey, type StorageAdapter, type StorageLocation } from '../storage/contract.ts';
import { MEDIA_FOLDERS } from '../storage/keys.ts';
import type { MultipartStore } from '../storage/multipartUploads.ts';
import { isKeyReferenced } from './objectReferences.ts';

const INCOMING_FOLDER = 'incoming';

/** A direct upload finalized and queued whose job has not run yet (a worker down for a day): its bytes are still needed. */
async function isAwaitingProcessing(db: AppDatabase, key: string): Promise<boolean> {
  const row = await db
    .selectFrom('direct_uploads')
    .select('key')
    .where('key', '=', key)
    .where('state', '=', 'processing')
    .executeTakeFirst();
  return row !== undefined;
}

export const DEFAULT_GRACE_HOURS = 24;

export interface GarbageDeps {
  db: AppDatabase;
  /** The backends to scan: local disk always, S3 when it is configured. */
  adapters: StorageAdapter[];
  logger: Logger;
  /** The clock ages are measured against; tests move it forward instead of backdating objects. */
  now?: () => Date;
  /** S3's multipart operations: incomplete uploads under the app's folders are garbage too. */
  multipart?: MultipartStore;
  /** The backup bucket: an object there is garbage when no row in S3 uses its key. */
  backup?: StorageAdapter | undefined;
}

/** Where a leftover was found: the backup bucket is scanned like S3, and reported apart. */
export type GarbagePlace = StorageLocation | 'backup';

export interface GarbageOptions {
  /** Only objects at least this old are garbage. */
  olderThanMs: number;
  /** Delete what was found; without it the run only lists. */
  delete: boolean;
  onFound?: (object: GarbageObject) => void;
}

export interface GarbageObject {
  location: GarbagePlace;
  key: string;
  size: number;
  lastModified: Date;
  ageMs: number;
  deleted: boolean;
  /** Why it was not deleted although asked to, when that was a choice rather than a failure. */
  keptBecause?: string;
}

export interface LocationTally {
  scanned: number;
  referenced: number;
  /** Unreferenced but younger than the grace period. */
  young: number;
  garbage: number;
  garbageBytes: number;
  deleted: number;
  deletedBytes: number;
}

/** A browser-to-S3 video upload started and never completed nor cancelled: its parts are billed until aborted. */
export interface StaleUpload {
  key: string;
  uploadId: string;
  initiated: Date;
  ageMs: number;
  aborted: boolean;
}

export interface GarbageSummary {
  objects: GarbageObject[];
  /** Incomplete multipart uploads under the app's folders older than the grace period. */
  staleUploads: StaleUpload[];
  byLocation: Partial<Record<GarbagePlace, LocationTally>>;
  failures: Array<{ location: GarbagePlace; key: string; reason: string }>;
}

export async function collectGarbage(deps: GarbageDeps, options: GarbageOptions): Promise<GarbageSummary> {
  const now = (deps.now ?? (() => new Date()))();
  const summary: GarbageSummary = { objects: [], staleUploads: [], byLocation: {}, failures: [] };
  const scans = [
    ...deps.adapters.map((adapter) => ({ place: adapter.location as GarbagePlace, adapter })),
    ...(deps.backup ? [{ place: 'backup' as const, adapter: deps.backup }] : []),
  ];
  for (const { place, adapter } of scans) {
    const tally: LocationTally = {
      scanned: 0,
      referenced: 0,
      young: 0,
      garbage: 0,
      garbageBytes: 0,
      deleted: 0,
      deletedBytes: 0,
    };
    summary.byLocation[place] = tally;
    // Direct uploads wait under incoming/ until finalized; one never finalized is garbage too.
    const folders = place === 's3' ? [...MEDIA_FOLDERS, INCOMING_FOLDER] : MEDIA_FOLDERS;
    for (const folder of folders) {
      try {
        for await (const listed of adapter.list(`${folder}/`)) {
          tally.scanned += 1;
          if (
            (await isKeyReferenced(deps.db, listed.key, adapter.location)) ||
            (folder === INCOMING_FOLDER && (await isAwaitingProcessing(deps.db, listed.key)))
          ) {
            tally.referenced += 1;
            continue;
          }
          const ageMs = now.getTime() - listed.lastModified.getTime();
          if (ageMs < options.olderThanMs) {
            tally.young += 1;
            continue;
          }
          const object: GarbageObject = {
            location: place,
            key: listed.key,
            size: listed.size,
            lastModified: listed.lastModified,
            ageMs,
            deleted: false,
          };
          tally.garbage += 1;
          tally.garbageBytes += listed.size;
          // Deleted right after the reference check, to keep the window for a new row to appear as short as possible.
          if (!isSafeKey(listed.key))
            object.keptBecause = 'its name is not a storage key the app could have made; delete it by hand';
          else if (options.delete) await deleteGarbage(deps, adapter, place, object, tally, summary);
          summary.objects.push(object);
          options.onFound?.(object);
        }
      } catch (error) {
        summary.failures.push({
          location: place,
          key: `${folder}/`,
          reason: `could not list: ${messageOf(error)}`,
        });
        deps.logger.warn({ location: place, folder, err: error }, `Could not list ${folder}/ in ${place}`);
      }
    }
  }
  if (deps.multipart) await abortStaleUploads(deps, deps.multipart, now, options, summary);
  return summary;
}

/**
 * Every folder the app writes under. An incomplete multipart upload can be left under any of
 * them, not only incoming/: a form video streamed to S3 under uploads/ by a process that died
 * mid-upload leaves one too, billed until aborted on a bucket without a lifecycle rule.
 */
const MULTIPART_PREFIXES = [...MEDIA_FOLDERS, INCOMING_FOLDER].map((folder) => `${folder}/`);

/** Uploads started longer ago than the grace period can no longer be completed (VIDEO_UPLOAD_LIFETIME_MS is the same 24 h by default). */
async function abortStaleUploads(
  deps: GarbageDeps,
  multipart: MultipartStore,
  now: Date,
  options: GarbageOptions,
  summary: GarbageSummary,
): Promise<void> {
  try {
    for await (const upload of multipart.listIncomplete('')) {
      if (!MULTIPART_PREFIXES.some((prefix) => upload.key.startsWith(prefix))) continue;
      const ageMs = now.getTime() - upload.initiated.getTime();
      if (ageMs < options.olderThanMs) continue;
      const stale: StaleUpload = { ...upload, ageMs, aborted: false };
      if (options.delete) {
        try {
          await multipart.abort(upload.key, upload.uploadId);
          stale.aborted = true;
        } catch (error) {
          summary.failures.push({
            location: 's3',
            key: upload.key,
            reason: `could not abort the incomplete upload: ${messageOf(error)}`,
          });
        }
      }
      summary.staleUploads.push(stale);
    }
  } catch (error) {
    summary.failures.push({
      location: 's3',
      key: MULTIPART_PREFIXES.join(', '),
      reason: `could not list incomplete uploads: ${messageOf(error)}`,
    });
    deps.logger.warn({ err: error }, 'Could not list incomplete multipart uploads');
  }
}

async function deleteGarbage(
  deps: GarbageDeps,
  adapter: StorageAdapter,
  place: GarbagePlace,
  object: GarbageObject,
  tally: LocationTally,
  summary: GarbageSummary,
): Promise<void> {
  try {
    await adapter.delete(object.key);
    object.deleted = true;
    tally.deleted += 1;
    tally.deletedBytes += object.size;
  } catch (error) {
    summary.failures.push({
      location: place,
      key: object.key,
      reason: `could not delete: ${messageOf(error)}`,
    });
    deps.logger.warn({ key: object.key, location: place, err: error }, `Could not delete ${object.key}`);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
