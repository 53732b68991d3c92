/**
 * The image pipeline against the hostile-image fixtures: each has an expected outcome —
 * status and message when refused; size, orientation, colour space, and no metadata or
 * payload left when accepted.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { Refusal } from '../../src/refusals/refusal.ts';
import { processImage, sizesFor } from '../../src/images/processImage.ts';
import { VARIANT_SPEC_VERSION } from '../../src/images/variantSpecs.ts';
import { NOT_AN_IMAGE, makeImage } from '../support/imageFixtures.ts';
import * as hostile from '../support/hostileImages.ts';

const LIMITS = { maxPixels: 40_000_000 };

async function rejection(input: Buffer, folder: 'avatars' | 'thumbnails' = 'avatars'): Promise<Refusal> {
  const error = await processImage(input, folder, LIMITS).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof Refusal)) throw new Error(`expected a rejection, got ${String(error)}`);
  return error;
}

async function pixelAt(image: Buffer, xFraction: number, yFraction: number): Promise<number[]> {
  const { data, info } = await sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const x = Math.floor(info.width * xFraction);
  const y = Math.floor(info.height * yFraction);
  return [...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3)];
}

const near = (actual: number[], expected: readonly number[]) =>
  actual.every((value, i) => Math.abs(value - expected[i]!) < 40);

describe('processImage: accepted images', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('shows a JPEG with EXIF orientation %i upright', async (orientation) => {
    const result = await processImage(await hostile.orientedJpeg(orientation), 'thumbnails', LIMITS);
    const [variant] = result.variants;
    expect(variant).toMatchObject({ width: 300, height: 169 });
    const { topLeft, topRight, bottomLeft, bottomRight } = hostile.QUADRANT_COLOURS;
    expect(near(await pixelAt(variant!.bytes, 0.1, 0.15), topLeft)).toBe(true);
    expect(near(await pixelAt(variant!.bytes, 0.9, 0.15), topRight)).toBe(true);
    expect(near(await pixelAt(variant!.bytes, 0.1, 0.85), bottomLeft)).toBe(true);
    expect(near(await pixelAt(variant!.bytes, 0.9, 0.85), bottomRight)).toBe(true);
  });

  it('strips EXIF and GPS from a phone photo', async () => {
    const input = await hostile.gpsTaggedJpeg();
    expect((await sharp(input).metadata()).exif).toBeDefined();
    const result = await processImage(input, 'avatars', LIMITS);
    for (const variant of result.variants) {
      const metadata = await sharp(variant.bytes).metadata();
      expect(metadata.exif).toBeUndefined();
      expect(metadata.xmp).toBeUndefined();
      expect(metadata.iptc).toBeUndefined();
      expect(variant.bytes.includes(Buffer.from(hostile.GPS_MARKER))).toBe(false);
    }
  });

  it('reads a spooled file exactly as its bytes, and refuses a disguised one from its first bytes', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vv-spooled-'));
    try {
      const photo = await hostile.orientedJpeg(6);
      await writeFile(path.join(dir, 'photo'), photo);
      const fromFile = await processImage({ path: path.join(dir, 'photo') }, 'avatars', LIMITS);
      const fromBytes = await processImage(photo, 'avatars', LIMITS);
      expect(fromFile.variants.map((variant) => variant.sha256)).toEqual(
        fromBytes.variants.map((variant) => variant.sha256),
      );
      await writeFile(path.join(dir, 'tiff'), await hostile.tiffImage());
      const refused = await processImage({ path: path.join(dir, 'tiff') }, 'avatars', LIMITS).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(Refusal);
      expect((refused as Refusal).status).toBe(415);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('drops a ZIP appended to a JPEG', async () => {
    const result = await processImage(await hostile.jpegWithZipAppended(), 'avatars', LIMITS);
    for (const variant of result.variants)
      expect(variant.bytes.includes(Buffer.from('PK\x03\x04', 'latin1'))).toBe(false);
  });

  it.each([
    ['CMYK JPEG', hostile.cmykJpeg],
    ['16-bit PNG', hostile.sixteenBitPng],
    ['AVIF', hostile.avifImage],
  ])('re-encodes a %s as sRGB 8-bit WebP', async (_name, make) => {
    const result = await processImage(await make(), 'avatars', LIMITS);
    const metadata = await sharp(result.variants[0]!.bytes).metadata();
    expect(metadata).toMatchObject({ format: 'webp', space: 'srgb', depth: 'uchar', width: 256, height: 256 });
  });

  it('keeps transparency', async () => {
    const result = await processImage(await hostile.transparentPng(), 'avatars', LIMITS);
    expect((await sharp(result.variants[0]!.bytes).metadata()).hasAlpha).toBe(true);
  });

  it('turns an animated GIF into its first frame', async () => {
    const result = await processImage(await hostile.animatedGif(), 'avatars', LIMITS);
    const metadata = await sharp(result.variants[0]!.bytes, { animated: true }).metadata();
    expect(metadata.pages ?? 1).toBe(1);
    expect(near(await pixelAt(result.variants[0]!.bytes, 0.5, 0.5), [255, 0, 0])).toBe(true);
  });

  it('makes every avatar size the source can fill, with a tiny placeholder and the spec version', async () => {
    const result = await processImage(await makeImage('jpeg', 1000, 700), 'avatars', LIMITS);
    expect(result.variants.map((variant) => [variant.width, variant.height])).toEqual([
      [512, 512],
      [256, 256],
      [128, 128],
      [64, 64],
    ]);
    for (const variant of result.variants)
      expect(await sharp(variant.bytes).metadata()).toMatchObject({
        format: 'webp',
        width: variant.width,
        height: variant.height,
      });
    expect(result.placeholder).toMatch(/^data:image\/webp;base64,/);
    expect(result.placeholder.length).toBeLessThan(1024);
    expect(result.specVersion).toBe(VARIANT_SPEC_VERSION);
  });

  it('crops thumbnails to 16:9 at 1280, 640 and 320 wide', async () => {
    const result = await processImage(await makeImage('png', 2000, 2000), 'thumbnails', LIMITS);
    expect(result.variants.map((variant) => [variant.width, variant.height])).toEqual([
      [1280, 720],
      [640, 360],
      [320, 180],
    ]);
  });

  it('never enlarges: a small source yields only the sizes it can fill', () => {
    const avatarSizes = [512, 256, 128, 64].map((side) => ({ width: side, height: side }));
    expect(sizesFor(avatarSizes, 300, 200)).toEqual([
      { width: 128, height: 128 },
      { width: 64, height: 64 },
    ]);
    expect(
      sizesFor(
        [
          { width: 1280, height: 720 },
          { width: 320, height: 180 },
        ],
        100,
        100,
      ),
    ).toEqual([{ width: 100, height: 56 }]);
  });
});

describe('processImage: refused images', () => {
  it('refuses a pixel bomb from its header, before decoding, with 413', async () => {
    const bomb = hostile.pixelBombPng();
    expect(bomb.length).toBeLessThan(2000);
    const rssBefore = process.memoryUsage().rss;
    const error = await rejection(bomb);
    expect(error.status).toBe(413);
    expect(error.message).toContain('20000×20000 pixels (400 megapixels); images can have at most 40 megapixels.');
    // Decoding would need 1.2 GB for the pixels alone.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(200 * 1024 * 1024);
  });

  it('refuses a truncated JPEG with 422', async () => {
    const error = await rejection(await hostile.truncatedJpeg());
    expect(error.status).toBe(422);
    expect(error.message).toContain('damaged or incomplete');
  });

  it('refuses an avatar smaller than 64×64 with 422', async () => {
    const error = await rejection(await makeImage('png', 40, 40));
    expect(error).toMatchObject({
      status: 422,
      message: 'That image is only 40×40 pixels; it needs to be at least 64×64.',
    });
  });

  it.each([
    // Issue #12: an SVG is named as such, as the README promises (it said "not an image we recognise").
    ['SVG with a script', () => NOT_AN_IMAGE.svg, 'an SVG file'],
    ['HTML', () => NOT_AN_IMAGE.html, 'not an image we recognise'],
    ['PDF', () => NOT_AN_IMAGE.pdf, 'a PDF file'],
    ['TIFF', hostile.tiffImage, 'a TIF file'],
    ['BMP', hostile.bmpImage, 'a BMP file'],
    ['HEIC', hostile.heicHeader, 'a HEIC file'],
    ['PSD', hostile.psdHeader, 'a PSD file'],
    ['an empty file', () => Buffer.alloc(0), 'not an image we recognise'],
  ])('refuses %s with 415, naming the accepted formats', async (_name, make, detail) => {
    const error = await rejection(await make());
    expect(error.status).toBe(415);
    expect(error.message).toContain(detail);
    expect(error.message).toContain('Please upload a JPEG, PNG, WebP, GIF or AVIF image.');
  });
});
