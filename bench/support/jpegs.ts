/**
 * Test photos made in code, so no binary is committed: distinct 12-megapixel JPEGs of about
 * 3 MB each. Three layers make them behave like photos at both ends of the pipeline: coarse
 * random blotches (detail that survives downscaling, so the 512 px avatar weighs what a
 * photo's would, ~35 kB), a gradient, and fine per-pixel noise (what makes the JPEG ~3 MB).
 * Seeded, so every run uses the same photos.
 */
import sharp from 'sharp';
import { log } from './log.ts';
import { fixed } from './stats.ts';

export const PHOTO_WIDTH = 4000;
export const PHOTO_HEIGHT = 3000;
/** Tuned together (measured: 3.2 MB JPEG; avatar variants 36 + 16 + 6 + 1 kB of WebP). */
const COARSE_WIDTH = 125;
const COARSE_AMPLITUDE = 100;
const FINE_NOISE_AMPLITUDE = 18;
const JPEG_QUALITY = 90;

export interface Photo {
  name: string;
  bytes: Buffer;
}

export async function makePhotos(count: number): Promise<Photo[]> {
  const photos: Photo[] = [];
  for (let index = 0; index < count; index++) {
    const pixels = await photoPixels(index);
    const bytes = await sharp(pixels, { raw: { width: PHOTO_WIDTH, height: PHOTO_HEIGHT, channels: 3 } })
      .jpeg({ quality: JPEG_QUALITY })
      .toBuffer();
    photos.push({ name: `photo-${index}.jpg`, bytes });
  }
  return photos;
}

async function photoPixels(index: number): Promise<Buffer> {
  const random = seededBytes(index);
  const coarseHeight = Math.round((COARSE_WIDTH * PHOTO_HEIGHT) / PHOTO_WIDTH);
  const coarse = Buffer.alloc(COARSE_WIDTH * coarseHeight * 3);
  for (let i = 0; i < coarse.length; i++) coarse[i] = (random() * COARSE_AMPLITUDE) >> 8;
  const pixels = await sharp(coarse, { raw: { width: COARSE_WIDTH, height: coarseHeight, channels: 3 } })
    .resize(PHOTO_WIDTH, PHOTO_HEIGHT, { kernel: 'cubic' })
    .raw()
    .toBuffer();

  const flip = index % 2 === 1;
  for (let y = 0; y < PHOTO_HEIGHT; y++) {
    for (let x = 0; x < PHOTO_WIDTH; x++) {
      const u = flip ? PHOTO_WIDTH - 1 - x : x;
      const noise = ((random() * FINE_NOISE_AMPLITUDE) >> 8) - (FINE_NOISE_AMPLITUDE >> 1);
      const i = (y * PHOTO_WIDTH + x) * 3;
      pixels[i] = clamp(pixels[i]! + (u * 120) / PHOTO_WIDTH + noise);
      pixels[i + 1] = clamp(pixels[i + 1]! + (y * 120) / PHOTO_HEIGHT + noise);
      pixels[i + 2] = clamp(pixels[i + 2]! + ((u + y) * 60) / PHOTO_WIDTH + noise);
    }
  }
  return pixels;
}

/** xorshift32: a fast, seeded source of bytes (0–255). */
function seededBytes(seed: number): () => number {
  let state = Math.imul(0x9e3779b9, seed + 1) | 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) & 0xff;
  };
}

function clamp(value: number): number {
  return value < 0 ? 0 : Math.min(value, 255);
}

/** The run's photos, with their mean size for the table; logs what was made. */
export async function makePhotoSet(count: number): Promise<{ photos: Photo[]; meanPhotoBytes: number }> {
  log(`making ${count} photos of 12 MP`);
  const photos = await makePhotos(count);
  const sizes = photos.map((photo) => photo.bytes.length);
  const meanPhotoBytes = sizes.reduce((a, b) => a + b, 0) / sizes.length;
  log(
    `photos: mean ${fixed(meanPhotoBytes / 1e6)} MB (${fixed(Math.min(...sizes) / 1e6)}–${fixed(Math.max(...sizes) / 1e6)} MB)`,
  );
  return { photos, meanPhotoBytes };
}
