/**
 * Photos on disk for the load generator to send: the 12-megapixel set of `bench:images`
 * (about 3.2 MB each), or small plain JPEGs where only the number of images matters
 * (filling pages) and for the smoke test's tiny sizes.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { makePhotoSet } from '../support/jpegs.ts';
import { scratchDir, type SuiteContext } from './suiteContext.ts';

export interface PhotoFiles {
  paths: string[];
  meanBytes: number;
  description: string;
}

export async function writePhotoFiles(
  context: SuiteContext,
  count: number,
  size: 'twelve-megapixel' | 'small',
): Promise<PhotoFiles> {
  const dir = await scratchDir(context, 'photos');
  if (size === 'twelve-megapixel') {
    const { photos, meanPhotoBytes } = await makePhotoSet(count);
    const paths = await Promise.all(
      photos.map(async (photo) => {
        const file = path.join(dir, photo.name);
        await writeFile(file, photo.bytes);
        return file;
      }),
    );
    return {
      paths,
      meanBytes: meanPhotoBytes,
      description: `${count} × 12 MP JPEG, mean ${(meanPhotoBytes / 1e6).toFixed(2)} MB`,
    };
  }
  const paths: string[] = [];
  let total = 0;
  for (let index = 0; index < count; index++) {
    const hue = (index * 47) % 360;
    const bytes = await sharp({ create: { width: 800, height: 600, channels: 3, background: `hsl(${hue}, 60%, 50%)` } })
      .jpeg()
      .toBuffer();
    const file = path.join(dir, `small-${index}.jpg`);
    await writeFile(file, bytes);
    paths.push(file);
    total += bytes.length;
  }
  return { paths, meanBytes: total / count, description: `${count} × 800×600 JPEG` };
}
