/**
 * URL building for templates: pure string work from a row's key, location and variants plus
 * the adapters' URL rules. Never any I/O — a page of 60 cards calls this hundreds of times.
 */
import type { StorageAdapter, StorageLocation } from './contract.js';
import type { ImageFolder } from './keys.js';

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

export function createImageUrlBuilder(adapterFor: (location: StorageLocation) => StorageAdapter | undefined, fallbackAdapter: StorageAdapter, placeholderUrl: (folder: ImageFolder) => string) {
  return function getImageUrl(image: ImageRef | string | null | undefined, folder: ImageFolder, width?: number): string {
    if (image === null || image === undefined || image === '') return placeholderUrl(folder);
    if (typeof image === 'string') return fallbackAdapter.urlFor(image.includes('/') ? image : `${folder}/${image}`);
    const adapter = adapterFor(image.location);
    return adapter ? adapter.urlFor(variantFor(image, width).key) : placeholderUrl(folder);
  };
}
