/**
 * Deleting videos and whole accounts. Rows go first, in one transaction; the stored files are
 * deleted after the commit, from wherever each one lives — so a failure part-way never leaves
 * a page pointing at a deleted object.
 */
import type { AppDatabase } from '../db/database.ts';
import type { ImageStorage } from '../files/imageStorage.ts';

async function deleteFiles(imageStorage: ImageStorage, fileIds: Array<number | null>): Promise<void> {
  for (const id of fileIds) if (id !== null) await imageStorage.deleteImage(id);
}

export async function deleteVideo(db: AppDatabase, imageStorage: ImageStorage, videoId: number): Promise<void> {
  const removed = await db
    .deleteFrom('videos')
    .where('id', '=', videoId)
    .returning(['video_file_id', 'thumbnail_file_id'])
    .executeTakeFirst();
  if (removed) await deleteFiles(imageStorage, [removed.video_file_id, removed.thumbnail_file_id]);
}

/** Removes the member, their votes, videos, thumbnails and avatar, from every backend. */
export async function deleteAccount(db: AppDatabase, imageStorage: ImageStorage, userId: number): Promise<void> {
  const fileIds = await db.transaction().execute(async (trx) => {
    // Their votes vanish with them (cascade); take them off the counts first.
    await trx
      .updateTable('videos')
      .set((eb) => ({ vote_count: eb('vote_count', '-', 1) }))
      .where('id', 'in', trx.selectFrom('votes').select('video_id').where('user_id', '=', userId))
      .execute();
    await trx.deleteFrom('users').where('id', '=', userId).execute();
    const files = await trx.selectFrom('stored_files').select('id').where('owner_id', '=', userId).execute();
    return files.map((file) => file.id);
  });
  await deleteFiles(imageStorage, fileIds);
}
