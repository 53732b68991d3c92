/**
 * From a processed image to what gets stored: one object per variant under its content key,
 * and the row fields that describe them. Shared by uploads and by regeneration, so both
 * name and record variants the same way.
 */
import type { NewStoredFileRow } from '../db/schema.ts';
import type { ProcessedImage } from '../images/processImage.ts';
import type { ObjectToWrite } from '../storage/fallbackWriter.ts';
import { contentKey, type MediaFolder } from '../storage/keys.ts';

export type ImageRowFields = Omit<NewStoredFileRow, 'location' | 'owner_id'>;

export function describeProcessedImage(
  processed: ProcessedImage,
  folder: MediaFolder,
  prefix: string,
): { objects: ObjectToWrite[]; fields: ImageRowFields } {
  const variants = processed.variants.map((variant) => ({
    ...variant,
    key: contentKey(folder, prefix, variant.sha256, 'webp'),
  }));
  const largest = variants[0]!;
  return {
    objects: variants.map((variant) => ({
      key: variant.key,
      contentType: processed.contentType,
      open: () => variant.bytes,
    })),
    fields: {
      folder,
      key: largest.key,
      content_type: processed.contentType,
      bytes: variants.reduce((total, variant) => total + variant.bytes.length, 0),
      sha256: largest.sha256,
      width: largest.width,
      height: largest.height,
      placeholder: processed.placeholder,
      spec_version: processed.specVersion,
      variants: JSON.stringify(
        variants.map(({ key, width, height, bytes, sha256 }) => ({ key, width, height, bytes: bytes.length, sha256 })),
      ),
    },
  };
}

/** The prefix a key was made with ("u12" in "avatars/u12-3f…​.webp"), so regenerated variants keep their owner's namespace. */
export function keyPrefixOf(key: string): string {
  const name = key.split('/').pop() ?? '';
  const match = /^([a-z0-9-]+?)-[0-9a-f]{32}\./.exec(name);
  return match?.[1] ?? 'img';
}
