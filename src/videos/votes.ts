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

/**
 * The cards with `votedByViewer` set, from one query over their ids: the card lists are shared
 * by every visitor (the front page is cached), so whose votes they are is added per request.
 */
export async function withViewerVotes<Card extends { id: number }>(
  db: AppDatabase,
  viewerId: number | undefined,
  cards: Card[],
): Promise<Array<Card & { votedByViewer: boolean }>> {
  if (viewerId === undefined || cards.length === 0) return cards.map((card) => ({ ...card, votedByViewer: false }));
  const rows = await db
    .selectFrom('votes')
    .select('video_id')
    .where('user_id', '=', viewerId)
    .where(
      'video_id',
      'in',
      cards.map((card) => card.id),
    )
    .execute();
  const voted = new Set(rows.map((row) => row.video_id));
  return cards.map((card) => ({ ...card, votedByViewer: voted.has(card.id) }));
}

/** A video's vote count after a vote, for the answer to a script. */
export async function voteCountOf(db: AppDatabase, videoId: number): Promise<number> {
  const row = await db.selectFrom('videos').select('vote_count').where('id', '=', videoId).executeTakeFirst();
  return row?.vote_count ?? 0;
}
