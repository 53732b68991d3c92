/**
 * Replacing the image a row points at (a member's avatar, a video's thumbnail): the new image
 * is recorded and the pointer moved in one transaction; only after that commits is the old
 * image deleted — so a failed upload always leaves the old one in place. The feature that owns
 * the row says how to move its pointer (members/avatarSlot.ts, videos/thumbnailSlot.ts); this
 * module never names a feature's table.
 */
import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { MediaFolder } from '../storage/keys.ts';
import type { ImageFile, ImageStorage, StoredUpload } from './imageStorage.ts';

/** Where an image is shown, given by the feature that owns the row pointing at it. */
export interface ImageSlot {
  folder: Exclude<MediaFolder, 'uploads'>;
  ownerId: number;
  /** The page that shows the image (where a direct upload sends the browser afterwards). */
  page: string;
  /** What the image is called in the confirmation ("Avatar", "Thumbnail"). */
  label: string;
  /** Points the row at `imageId` inside the transaction that records it; returns the image it pointed at before. */
  point(trx: Transaction<Database>, imageId: number): Promise<number | null>;
}

/** Stores `file` into the slot; rejects with a Refusal (and changes nothing) when it cannot. */
export async function replaceImage(
  imageStorage: ImageStorage,
  slot: ImageSlot,
  file: ImageFile,
): Promise<StoredUpload> {
  let previousId: number | null = null;
  const stored = await imageStorage.uploadImage(file, slot.folder, `u${slot.ownerId}`, slot.ownerId, {
    attach: async (trx, image) => {
      previousId = await slot.point(trx, image.id);
    },
  });
  if (previousId !== null) await imageStorage.deleteFile(previousId);
  return stored;
}

/** The flash message after a replacement, which says so when the image fell back to this server. */
export function replacedMessage(
  slot: Pick<ImageSlot, 'label'>,
  stored: StoredUpload,
  mode: ImageStorage['mode'],
): string {
  if (mode !== 's3' || stored.location === 's3') return `${slot.label} updated.`;
  return stored.location === 'db'
    ? `${slot.label} updated. (Cloud storage is unreachable right now, so it is kept in the app's database until it is back.)`
    : `${slot.label} updated. (Cloud storage is unreachable right now, so it is kept on this server for the moment.)`;
}
