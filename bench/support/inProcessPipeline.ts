/**
 * The floor: the app's image pipeline with no HTTP and no storage. Each photo goes through
 * processImage behind one createImageJobQueue() per process, as composeApp builds it, from a
 * fresh copy of its bytes (no libvips cache can help). The app's form route hands
 * processImage a spooled file instead (web/imageSpool.ts); measured in-process, the pipeline
 * costs the same CPU either way (118–128 against 126–131 ms per 12 MP photo), so writing the
 * spool counts as the route's own work, as receiving into memory did before.
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
