/**
 * Removing a member: their votes come off the counts, then the member row goes (their videos
 * and votes with it, by cascade), in one transaction; their stored files are deleted after the
 * commit, from every backend — so a failure part-way never leaves a page pointing at a deleted object.
 */
import type { AppDatabase } from '../db/database.ts';
import type { ImageStorage } from '../files/imageStorage.ts';
import { fileIdsOwnedBy } from '../files/ownedFiles.ts';
import { deleteStoredFiles, takeBackVotesOf } from '../videos/videoRemoval.ts';

export async function deleteAccount(db: AppDatabase, imageStorage: ImageStorage, userId: number): Promise<void> {
  const fileIds = await db.transaction().execute(async (trx) => {
    await takeBackVotesOf(trx, userId);
    await trx.deleteFrom('users').where('id', '=', userId).execute();
    return fileIdsOwnedBy(trx, userId);
  });
  await deleteStoredFiles(imageStorage, fileIds);
}
