/**
 * `imageTag(image, folder, options)` for templates: a complete <img> with every size the
 * server made in srcset, the intrinsic width and height (no layout shift), lazy loading, and
 * the blurred placeholder as its background until the real image arrives. Pure string work.
 */
import nunjucks from 'nunjucks';
import { IMAGE_SPECS } from '../images/variantSpecs.ts';
import type { MediaFolder } from '../storage/keys.ts';
import type { ImageRef } from '../storage/imageUrls.ts';
import type { ImageStorage } from '../files/imageStorage.ts';

export interface ImageTagOptions {
  alt?: string;
  id?: string;
  class?: string;
  /** How wide the image is drawn; defaults to the folder's spec. */
  sizes?: string;
  /** Load at once (above the fold) instead of lazily. */
  eager?: boolean;
}

const NEEDS_ESCAPING = /[&"<>]/;
/** Most attributes (URLs the app built, numbers) need no escaping; the test is cheaper than four replaces. */
const escapeAttribute = (value: string | number): string => {
  const text = String(value);
  return NEEDS_ESCAPING.test(text)
    ? text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    : text;
};

export function createImageTag(getImageUrl: ImageStorage['getImageUrl']) {
  return function imageTag(
    image: ImageRef | null | undefined,
    folder: MediaFolder,
    options: ImageTagOptions = {},
  ): nunjucks.runtime.SafeString {
    const spec = IMAGE_SPECS[folder];
    const fallbackSize = spec.sizes.at(-1)!;
    const attributes: Array<[string, string | number | undefined]> = [
      ['id', options.id],
      ['class', options.class],
      ['src', getImageUrl(image, folder, fallbackSize.width)],
    ];
    const variants = image?.variants ?? [];
    if (image && variants.length > 1) {
      attributes.push([
        'srcset',
        variants
          .map((variant) => `${getImageUrl({ ...image, variants: [variant] }, folder)} ${variant.width}w`)
          .join(', '),
      ]);
      attributes.push(['sizes', options.sizes ?? spec.displaySizes]);
    }
    attributes.push(
      ['width', image?.width ?? spec.sizes[0]!.width],
      ['height', image?.height ?? spec.sizes[0]!.height],
      ['alt', options.alt ?? ''],
      ['loading', options.eager ? 'eager' : 'lazy'],
      ['decoding', 'async'],
    );
    if (image?.placeholder?.startsWith('data:image/webp;base64,')) {
      attributes.push(['style', `background-image:url(${image.placeholder});background-size:cover`]);
    }
    const html = attributes
      .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
      .map(([name, value]) => `${name}="${escapeAttribute(value)}"`)
      .join(' ');
    return new nunjucks.runtime.SafeString(`<img ${html}>`);
  };
}
