/**
 * URL building for templates: pure string work from a row's key, location and variants plus
 * the adapters' URL rules and the delivery mode. Never any I/O — a page of 60 cards calls
 * this hundreds of times. This is the one place that decides what URL a stored file gets:
 *   - on local disk: the app's /static URL, whatever the mode;
 *   - in S3, by the mode of the key's folder (videos under uploads/ follow VIDEO_URL_MODE,
 *     images IMAGE_URL_MODE): `public` the bucket or CDN URL, `signed` a presigned URL
 *     (signedUrls.ts, synchronous), `proxy` the app's own /media/<key> route.
 */
import type { UrlMode } from '../config.ts';
import type { StorageAdapter, StorageLocation } from './contract.ts';
import type { MediaFolder } from './keys.ts';

export type { UrlMode } from '../config.ts';

/** How S3-located files reach browsers. */
export interface MediaDelivery {
  imageMode: UrlMode;
  videoMode: UrlMode;
  /** The presigned GET URL of a key; required when either mode is `signed`. */
  signedUrlFor?: ((key: string) => string) | undefined;
}

export const PUBLIC_DELIVERY: MediaDelivery = { imageMode: 'public', videoMode: 'public' };

/** Where the app streams S3 objects itself (proxy mode); see routes/media.ts. */
export const MEDIA_PATH = '/media';

/** The mode that applies to a key: uploaded videos live under uploads/, images everywhere else. */
export function urlModeForKey(delivery: MediaDelivery, key: string): UrlMode {
  return key.startsWith('uploads/') ? delivery.videoMode : delivery.imageMode;
}

export function mediaPathFor(key: string): string {
  return `${MEDIA_PATH}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/** The URL of a stored key in a location, or undefined when that location is not configured. */
export function createStoredFileUrl(
  adapterFor: (location: StorageLocation) => StorageAdapter | undefined,
  delivery: MediaDelivery = PUBLIC_DELIVERY,
) {
  const { signedUrlFor } = delivery;
  if ((delivery.imageMode === 'signed' || delivery.videoMode === 'signed') && signedUrlFor === undefined) {
    throw new Error('Signed URL mode needs a URL signer (S3 credentials)');
  }
  return function storedFileUrl(key: string, location: StorageLocation): string | undefined {
    const adapter = adapterFor(location);
    if (!adapter) return undefined;
    if (adapter.location !== 's3') return adapter.urlFor(key);
    switch (urlModeForKey(delivery, key)) {
      case 'proxy':
        return mediaPathFor(key);
      case 'signed':
        return signedUrlFor!(key);
      default:
        return adapter.urlFor(key);
    }
  };
}

export interface VariantRef {
  key: string;
  width: number;
  height: number;
}

/** What templates hand to getImageUrl and imageTag: where a stored file lives and in which sizes. */
export interface ImageRef {
  key: string;
  location: StorageLocation;
  width?: number | null;
  height?: number | null;
  placeholder?: string | null;
  variants?: VariantRef[] | null;
}

/** The smallest variant at least `width` wide (the largest when none is), or the row's own key. */
export function variantFor(image: ImageRef, width: number | undefined): VariantRef | { key: string } {
  const variants = image.variants ?? [];
  if (width === undefined || variants.length === 0) return variants[0] ?? { key: image.key };
  const wideEnough = variants.filter((variant) => variant.width >= width);
  return wideEnough.at(-1) ?? variants[0]!;
}

export function createImageUrlBuilder(
  adapterFor: (location: StorageLocation) => StorageAdapter | undefined,
  fallbackAdapter: StorageAdapter,
  placeholderUrl: (folder: MediaFolder) => string,
  delivery: MediaDelivery = PUBLIC_DELIVERY,
) {
  const storedFileUrl = createStoredFileUrl(adapterFor, delivery);
  return function getImageUrl(
    image: ImageRef | string | null | undefined,
    folder: MediaFolder,
    width?: number,
  ): string {
    if (image === null || image === undefined || image === '') return placeholderUrl(folder);
    if (typeof image === 'string') {
      // A bare key or file name from before rows recorded a location: it lives in the current primary store.
      const key = image.includes('/') ? image : `${folder}/${image}`;
      return storedFileUrl(key, fallbackAdapter.location) ?? fallbackAdapter.urlFor(key);
    }
    return storedFileUrl(variantFor(image, width).key, image.location) ?? placeholderUrl(folder);
  };
}
