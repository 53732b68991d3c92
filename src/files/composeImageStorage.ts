/**
 * The files service as both the web app and the worker build it, so an image the worker
 * stores for a direct upload is stored exactly as the form route stores it: the same
 * placeholders, pipeline limits, fallback, backup copies, URL modes and daily quota.
 */
import { createImageJobQueue } from '../images/imageJobQueue.ts';
import { createImageStorage, type ImageStorage, type ImageStorageDeps } from './imageStorage.ts';

export type ImageStorageParts = Omit<ImageStorageDeps, 'placeholderUrl' | 'imageJobs'>;

export function composeImageStorage(parts: ImageStorageParts): ImageStorage {
  return createImageStorage({
    ...parts,
    placeholderUrl: (folder) => `/static/img/${folder}-placeholder.svg`,
    // At most one pipeline per core in this process, whichever route or job asks.
    imageJobs: createImageJobQueue(),
  });
}
