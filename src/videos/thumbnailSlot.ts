/** A video's thumbnail as an image slot: the files service stores the image, this moves videos.thumbnail_file_id. */
import type { AppDatabase } from '../db/database.ts';
import type { ImageSlot } from '../files/replaceImage.ts';
import { noSuchVideo, notYourVideo } from '../refusals/reasons.ts';

export function thumbnailSlot(videoId: number, ownerId: number): ImageSlot {
  return {
    folder: 'thumbnails',
    ownerId,
    page: `/videos/${videoId}`,
    label: 'Thumbnail',
    async point(trx, imageId) {
      const before = await trx
        .selectFrom('videos')
        .select('thumbnail_file_id')
        .where('id', '=', videoId)
        .forUpdate()
        .executeTakeFirstOrThrow();
      await trx.updateTable('videos').set({ thumbnail_file_id: imageId }).where('id', '=', videoId).execute();
      return before.thumbnail_file_id;
    },
  };
}

/** The thumbnail slot of a video the member owns; refuses a missing video (404) or someone else's (403). */
export async function ownThumbnailSlot(db: AppDatabase, videoId: number, memberId: number): Promise<ImageSlot> {
  const video = await db.selectFrom('videos').select('owner_id').where('id', '=', videoId).executeTakeFirst();
  if (!video) throw noSuchVideo();
  if (video.owner_id !== memberId) throw notYourVideo();
  return thumbnailSlot(videoId, memberId);
}
