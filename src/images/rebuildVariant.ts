/**
 * One variant made again from another of the same image (the largest that remains): the same
 * crop, so resizing is all it takes; WebP at the pipeline's quality. A variant larger than its
 * source is upscaled — softer than the original, but an image instead of a placeholder.
 */
import { createHash } from 'node:crypto';
import { loadRestrictedSharp } from './libvipsLoaders.ts';
import { WEBP_QUALITY, type VariantSize } from './variantSpecs.ts';

export async function rebuildVariant(source: Buffer, size: VariantSize): Promise<{ bytes: Buffer; sha256: string }> {
  const sharp = await loadRestrictedSharp();
  const bytes = await sharp(source, { failOn: 'truncated' })
    .resize(size.width, size.height, { fit: 'cover' })
    .webp({ quality: WEBP_QUALITY })
    .toBuffer();
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}
