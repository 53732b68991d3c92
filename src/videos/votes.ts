/**
 * One vote per member per video; voting again takes it back. The count on the video moves in
 * the same transaction as the vote row, so the ranking never drifts from the votes.
 */
import type { AppDatabase } from '../db/database.ts';

export async function toggleVote(
  db: AppDatabase,
  videoId: number,
  userId: number,
): Promise<{ voted: boolean } | undefined> {
  return db.transaction().execute(async (trx) => {
    const video = await trx.selectFrom('videos').select('id').where('id', '=', videoId).forUpdate().executeTakeFirst();
    if (!video) return undefined;
    const removed = await trx
      .deleteFrom('votes')
      .where('video_id', '=', videoId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    const voted = removed.numDeletedRows === 0n;
    if (voted) await trx.insertInto('votes').values({ video_id: videoId, user_id: userId }).execute();
    await trx
      .updateTable('videos')
      .set((eb) => ({ vote_count: eb('vote_count', voted ? '+' : '-', 1) }))
      .where('id', '=', videoId)
      .execute();
    return { voted };
  });
}
