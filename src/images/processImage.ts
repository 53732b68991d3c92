/**
 * Turns an upload into images the server made itself: checked before decoding (format from
 * the bytes, pixel count from the header), upright (EXIF orientation applied), sRGB, with no
 * metadata left (EXIF, GPS, XMP, IPTC are dropped by re-encoding, and so is anything appended
 * after the image data), cropped and resized to the folder's variants, as WebP.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { OutputInfo } from 'sharp';
import type { MediaFolder } from '../storage/keys.ts';
import { damagedImage } from '../refusals/reasons.ts';
import { Refusal } from '../refusals/refusal.ts';
import { loadRestrictedSharp } from './libvipsLoaders.ts';
import { sniffImageType } from './sniffImageType.ts';
import {
  IMAGE_SPECS,
  PLACEHOLDER_WIDTH,
  VARIANT_SPEC_VERSION,
  WEBP_QUALITY,
  type VariantSize,
} from './variantSpecs.ts';

export interface ImageVariant {
  width: number;
  height: number;
  bytes: Buffer;
  sha256: string;
}

export interface ProcessedImage {
  /** Largest first. */
  variants: ImageVariant[];
  /** A tiny blurred WebP as a data: URI, shown while the real image loads. */
  placeholder: string;
  specVersion: number;
  contentType: 'image/webp';
}

export interface ImageLimits {
  maxPixels: number;
}

/**
 * An upload spooled to a file: libvips reads it as it decodes, so the encoded bytes are never
 * held in memory (a 12 MP photo is ~3 MB; a burst of uploads waiting for the queue held them all).
 */
export interface ImageFileOnDisk {
  path: string;
}

/** The bytes themselves (a direct upload read back from S3, a regenerated original), or a spooled file. */
export type ImageInput = Buffer | ImageFileOnDisk;

/** Enough of the file's start for file-type to name any format we accept, and for the SVG check. */
const SNIFF_BYTES = 4100;

async function headOf(input: ImageInput): Promise<Buffer> {
  if (Buffer.isBuffer(input)) return input;
  const file = await open(input.path);
  try {
    const { buffer, bytesRead } = await file.read(Buffer.alloc(SNIFF_BYTES), 0, SNIFF_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

/** What sharp opens: the buffer, or the file's path. */
const sharpInput = (input: ImageInput): Buffer | string => (Buffer.isBuffer(input) ? input : input.path);

export async function processImage(
  input: ImageInput,
  folder: MediaFolder,
  limits: ImageLimits,
): Promise<ProcessedImage> {
  await sniffImageType(await headOf(input));
  const sharp = await loadRestrictedSharp();
  const spec = IMAGE_SPECS[folder];
  const header = await readHeader(input);
  const frameHeight = header.pageHeight ?? header.height;
  if (header.width * frameHeight > limits.maxPixels) {
    const megapixels = Math.round((header.width * frameHeight) / 1e6);
    throw new Refusal(
      413,
      `That image is ${header.width}×${frameHeight} pixels (${megapixels} megapixels); images can have at most ${Math.round(limits.maxPixels / 1e6)} megapixels.`,
    );
  }
  const [uprightWidth, uprightHeight] =
    (header.orientation ?? 1) >= 5 ? [frameHeight, header.width] : [header.width, frameHeight];
  if (uprightWidth < spec.minWidth || uprightHeight < spec.minHeight) {
    throw new Refusal(
      422,
      `That image is only ${uprightWidth}×${uprightHeight} pixels; it needs to be at least ${spec.minWidth}×${spec.minHeight}.`,
    );
  }

  const sizes = sizesFor(spec.sizes, uprightWidth, uprightHeight);
  const largest = sizes[0]!;
  let pixels: { data: Buffer; info: OutputInfo };
  try {
    pixels = await sharp(sharpInput(input), {
      limitInputPixels: limits.maxPixels,
      failOn: 'truncated',
      animated: false,
    })
      .autoOrient()
      .resize(largest.width, largest.height, { fit: 'cover', position: sharp.strategy.attention })
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw damagedImage(error);
  }

  const raw = { width: pixels.info.width, height: pixels.info.height, channels: pixels.info.channels };
  const fromPixels = () => sharp(pixels.data, { raw });
  const variants = await Promise.all(
    sizes.map(async (size) => {
      const bytes = await fromPixels().resize(size.width, size.height).webp({ quality: WEBP_QUALITY }).toBuffer();
      return { ...size, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
    }),
  );
  const preview = await fromPixels().resize(PLACEHOLDER_WIDTH).blur(1).webp({ quality: 40 }).toBuffer();
  return {
    variants,
    placeholder: `data:image/webp;base64,${preview.toString('base64')}`,
    specVersion: VARIANT_SPEC_VERSION,
    contentType: 'image/webp',
  };
}

async function readHeader(
  input: ImageInput,
): Promise<{ width: number; height: number; pageHeight?: number; orientation?: number }> {
  const sharp = await loadRestrictedSharp();
  try {
    // Reads the header only: a pixel bomb is measured here, never decoded.
    const metadata = await sharp(sharpInput(input), { limitInputPixels: false }).metadata();
    if (!metadata.width || !metadata.height) throw new Error('no dimensions in the header');
    return {
      width: metadata.width,
      height: metadata.height,
      pageHeight: metadata.pageHeight,
      orientation: metadata.orientation,
    };
  } catch (error) {
    throw damagedImage(error);
  }
}

/**
 * The spec's sizes that the source can fill without enlarging, largest first. A source
 * smaller than every size yields one variant: the spec's shape cropped at the source's size.
 */
export function sizesFor(specSizes: VariantSize[], sourceWidth: number, sourceHeight: number): VariantSize[] {
  const first = specSizes[0]!;
  const aspect = first.width / first.height;
  const cropWidth = Math.min(sourceWidth, Math.floor(sourceHeight * aspect));
  const fitting = specSizes.filter((size) => size.width <= cropWidth);
  if (fitting.length > 0) return fitting;
  const width = Math.max(1, cropWidth);
  return [{ width, height: Math.max(1, Math.round(width / aspect)) }];
}
