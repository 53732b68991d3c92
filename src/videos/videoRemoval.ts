/**
 * Deleting videos. The row goes first; the stored files are deleted after, from wherever each
 * one lives — so a failure part-way never leaves a page pointing at a deleted object.
 */
import type { Transaction } from 'kysely';
import type { AppDatabase } from '../db/database.ts';
import type { Database } from '../db/schema.ts';
import type { ImageStorage } from '../files/imageStorage.ts';

export async function deleteStoredFiles(imageStorage: ImageStorage, fileIds: Array<number | null>): Promise<void> {
  for (const id of fileIds) if (id !== null) await imageStorage.deleteFile(id);
}

export async function deleteVideo(db: AppDatabase, imageStorage: ImageStorage, videoId: number): Promise<void> {
  const removed = await db
    .deleteFrom('videos')
    .where('id', '=', videoId)
    .returning(['video_file_id', 'thumbnail_file_id'])
    .executeTakeFirst();
  if (removed) await deleteStoredFiles(imageStorage, [removed.video_file_id, removed.thumbnail_file_id]);
}

/** Takes a leaving member's votes off the counts (the vote rows themselves go with the member, by cascade). */
export async function takeBackVotesOf(trx: Transaction<Database>, userId: number): Promise<void> {
  await trx
    .updateTable('videos')
    .set((eb) => ({ vote_count: eb('vote_count', '-', 1) }))
    .where('id', 'in', trx.selectFrom('votes').select('video_id').where('user_id', '=', userId))
    .execute();
}
