/** A member's avatar as an image slot: the files service stores the image, this moves users.avatar_image_id. */
import type { ImageSlot } from '../files/replaceImage.ts';

export function avatarSlot(userId: number): ImageSlot {
  return {
    folder: 'avatars',
    ownerId: userId,
    page: '/profile',
    label: 'Avatar',
    async point(trx, imageId) {
      const before = await trx
        .selectFrom('users')
        .select('avatar_image_id')
        .where('id', '=', userId)
        .forUpdate()
        .executeTakeFirstOrThrow();
      await trx.updateTable('users').set({ avatar_image_id: imageId }).where('id', '=', userId).execute();
      return before.avatar_image_id;
    },
  };
}
