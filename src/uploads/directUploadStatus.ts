/**
 * Where a direct image upload has got to, read-only: for the status endpoint the browser
 * polls after finalize, and for the pages that show a "processing" notice (or the refusal)
 * beside the avatar or thumbnail until the worker's job has settled the upload.
 */
import { sql } from 'kysely';
import type { AppDatabase } from '../db/database.ts';
import type { DirectUploadState } from '../db/schema.ts';

export interface DirectUploadStatus {
  state: DirectUploadState;
  /** Why the bytes were refused, when they were. */
  refusal?: string;
  /** The page that shows the image. */
  page: string;
}

/** A refused upload's sentence stays on its page this long, for a member who reloads or comes back. */
const REFUSAL_SHOWN_MINUTES = 10;

const pageOf = (row: { purpose: string; video_id: number | null }) =>
  row.purpose === 'thumbnail' ? `/videos/${row.video_id}` : '/profile';

export interface DirectImageUpload {
  userId: number;
  purpose: 'avatar' | 'thumbnail';
  storedFileId: number | null;
  status: DirectUploadStatus;
}

/** One primary-key lookup; undefined when there is no such image upload. */
export async function readDirectImageUpload(db: AppDatabase, key: string): Promise<DirectImageUpload | undefined> {
  const row = await db
    .selectFrom('direct_uploads')
    .select(['user_id', 'state', 'refusal', 'purpose', 'video_id', 'stored_file_id'])
    .where('key', '=', key)
    .executeTakeFirst();
  if (!row || row.purpose === 'video') return undefined;
  return {
    userId: row.user_id,
    purpose: row.purpose,
    storedFileId: row.stored_file_id,
    status: { state: row.state, ...(row.refusal ? { refusal: row.refusal } : {}), page: pageOf(row) },
  };
}

export interface SlotUploadState {
  key: string;
  state: 'processing' | 'refused';
  refusal?: string;
}

/** The member's unsettled (or lately refused) direct uploads, by slot: `avatar`, or `thumbnail:<videoId>`. */
export type SlotUploadStates = Record<string, SlotUploadState>;

export const slotName = (purpose: string, videoId: number | null) =>
  purpose === 'thumbnail' ? `thumbnail:${videoId}` : 'avatar';

/**
 * Per slot, the member's latest finalized direct upload when it is still processing, or was
 * refused within the last few minutes; a later upload of the same slot hides an earlier one.
 */
export async function slotUploadStates(db: AppDatabase, userId: number): Promise<SlotUploadStates> {
  const rows = await db
    .selectFrom('direct_uploads')
    .select(['key', 'state', 'refusal', 'purpose', 'video_id', 'settled_at'])
    .where('user_id', '=', userId)
    .where('purpose', '!=', 'video')
    .where('finalized_at', '>', sql<Date>`now() - interval '1 day'`)
    .orderBy('finalized_at', 'desc')
    .execute();
  const states: SlotUploadStates = {};
  const seen = new Set<string>();
  const refusalShownSince = Date.now() - REFUSAL_SHOWN_MINUTES * 60_000;
  for (const row of rows) {
    const slot = slotName(row.purpose, row.video_id);
    if (seen.has(slot)) continue;
    seen.add(slot);
    if (row.state === 'processing') states[slot] = { key: row.key, state: 'processing' };
    if (row.state === 'refused' && row.refusal && (row.settled_at?.getTime() ?? 0) > refusalShownSince)
      states[slot] = { key: row.key, state: 'refused', refusal: row.refusal };
  }
  return states;
}
