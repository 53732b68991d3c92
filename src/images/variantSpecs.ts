/**
 * What the server makes of each uploaded image, in one place. Bump VARIANT_SPEC_VERSION when
 * anything here changes: `npm run images:regenerate` rebuilds every image stored under an
 * older version.
 */
import type { MediaFolder } from '../storage/keys.ts';

export const VARIANT_SPEC_VERSION = 1;

export interface VariantSize {
  width: number;
  height: number;
}

export interface FolderImageSpec {
  /** Largest first; every variant has the same aspect ratio, cropped by libvips' attention strategy. */
  sizes: VariantSize[];
  minWidth: number;
  minHeight: number;
  /** The `sizes` attribute for srcset: how wide the image is drawn, so the browser picks well. */
  displaySizes: string;
}

export const IMAGE_SPECS: Record<MediaFolder, FolderImageSpec> = {
  avatars: {
    sizes: [512, 256, 128, 64].map((side) => ({ width: side, height: side })),
    minWidth: 64,
    minHeight: 64,
    displaySizes: '(max-width: 600px) 128px, 160px',
  },
  thumbnails: {
    sizes: [
      { width: 1280, height: 720 },
      { width: 640, height: 360 },
      { width: 320, height: 180 },
    ],
    minWidth: 32,
    minHeight: 18,
    displaySizes: '(max-width: 600px) 100vw, 320px',
  },
  uploads: {
    sizes: [{ width: 1920, height: 1080 }],
    minWidth: 1,
    minHeight: 1,
    displaySizes: '100vw',
  },
};

/** WebP at this quality is visually clean for photos at a fraction of JPEG's bytes. */
export const WEBP_QUALITY = 78;
/** Width of the blurred preview that is inlined in the page while the real image loads. */
export const PLACEHOLDER_WIDTH = 16;
