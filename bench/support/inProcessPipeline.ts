/**
 * The floor: the app's image pipeline with no HTTP and no storage. Each photo goes through
 * processImage exactly as imageStorage.uploadImage calls it — a fresh copy of the bytes
 * (multer hands the app a new buffer per request, so no libvips cache can help), queued
 * behind one createImageJobQueue() per process as composeApp builds it.
 */
import { createImageJobQueue } from '../../src/images/imageJobQueue.ts';
import { processImage } from '../../src/images/processImage.ts';

/** The app's default MAX_IMAGE_MEGAPIXELS. */
const MAX_PIXELS = 40e6;

export function createInProcessPipeline(): (bytes: Buffer) => Promise<void> {
  const queue = createImageJobQueue();
  return async (bytes) => {
    const input = Buffer.from(bytes);
    const processed = await queue(() => processImage(input, 'avatars', { maxPixels: MAX_PIXELS }));
    if (processed.variants.length === 0) throw new Error('processImage made no variants');
  };
}
