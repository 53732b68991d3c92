/**
 * Replacing the image a row points at (a member's avatar, a video's thumbnail): the new image
 * is recorded and the pointer moved in one transaction; only after that commits is the old
 * image deleted — so a failed upload always leaves the old one in place. Used by form uploads
 * and direct-to-S3 uploads alike.
 */
import type { ImageFile, ImageStorage, UploadResult } from './imageStorage.ts';

export type ImageSlot = { kind: 'avatar'; userId: number } | { kind: 'thumbnail'; videoId: number; ownerId: number };

export async function replaceImage(
  imageStorage: ImageStorage,
  slot: ImageSlot,
  file: ImageFile,
): Promise<UploadResult> {
  const ownerId = slot.kind === 'avatar' ? slot.userId : slot.ownerId;
  let previousId: number | null = null;
  const result = await imageStorage.uploadImage(
    file,
    slot.kind === 'avatar' ? 'avatars' : 'thumbnails',
    `u${ownerId}`,
    ownerId,
    {
      attach: async (trx, image) => {
        if (slot.kind === 'avatar') {
          const before = await trx
            .selectFrom('users')
            .select('avatar_image_id')
            .where('id', '=', slot.userId)
            .forUpdate()
            .executeTakeFirstOrThrow();
          previousId = before.avatar_image_id;
          await trx.updateTable('users').set({ avatar_image_id: image.id }).where('id', '=', slot.userId).execute();
        } else {
          const before = await trx
            .selectFrom('videos')
            .select('thumbnail_file_id')
            .where('id', '=', slot.videoId)
            .forUpdate()
            .executeTakeFirstOrThrow();
          previousId = before.thumbnail_file_id;
          await trx.updateTable('videos').set({ thumbnail_file_id: image.id }).where('id', '=', slot.videoId).execute();
        }
      },
    },
  );
  if (result.success && previousId !== null) await imageStorage.deleteImage(previousId);
  return result;
}

/** The flash message after a replacement, which says so when the image fell back to this server. */
export function replacedMessage(
  what: string,
  result: Extract<UploadResult, { success: true }>,
  mode: ImageStorage['mode'],
): string {
  return result.location === 'local' && mode === 's3'
    ? `${what} updated. (Cloud storage is unreachable right now, so it is kept on this server for the moment.)`
    : `${what} updated.`;
}
