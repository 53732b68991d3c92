import { describe, expect, it } from 'vitest';
import { createImageTag } from '../../src/views/imageTag.ts';
import type { ImageRef } from '../../src/storage/imageUrls.ts';

const getImageUrl = (image: ImageRef | string | null | undefined, folder: string, width?: number) => {
  if (!image || typeof image === 'string') return `/static/img/${folder}-placeholder.svg`;
  const variants = image.variants ?? [];
  const chosen =
    width === undefined
      ? variants[0]
      : ([...variants].reverse().find((variant) => variant.width >= width) ?? variants[0]);
  return `https://cdn.example.com/${chosen?.key ?? image.key}`;
};
const imageTag = createImageTag(getImageUrl as never);

const avatar: ImageRef = {
  key: 'avatars/u1-aaa.webp',
  location: 's3',
  width: 512,
  height: 512,
  placeholder: 'data:image/webp;base64,UklGRg==',
  variants: [
    { key: 'avatars/u1-aaa.webp', width: 512, height: 512 },
    { key: 'avatars/u1-bbb.webp', width: 256, height: 256 },
    { key: 'avatars/u1-ccc.webp', width: 64, height: 64 },
  ],
};

describe('imageTag', () => {
  it('renders src, srcset, sizes, intrinsic size, lazy loading and the placeholder background', () => {
    const html = imageTag(avatar, 'avatars', { class: 'avatar', alt: 'Ann', sizes: '64px' }).toString();
    expect(html).toBe(
      '<img class="avatar" src="https://cdn.example.com/avatars/u1-ccc.webp" ' +
        'srcset="https://cdn.example.com/avatars/u1-aaa.webp 512w, https://cdn.example.com/avatars/u1-bbb.webp 256w, https://cdn.example.com/avatars/u1-ccc.webp 64w" ' +
        'sizes="64px" width="512" height="512" alt="Ann" loading="lazy" decoding="async" ' +
        'style="background-image:url(data:image/webp;base64,UklGRg==);background-size:cover">',
    );
  });

  it('escapes every attribute, so a hostile alt text stays text', () => {
    const html = imageTag(avatar, 'avatars', { alt: '"><script>alert(1)</script>' }).toString();
    expect(html).toContain('alt="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(html).not.toContain('<script>');
  });

  it('falls back to the placeholder with the folder spec size, and never inlines a non-WebP placeholder', () => {
    expect(imageTag(null, 'thumbnails', { eager: true }).toString()).toBe(
      '<img src="/static/img/thumbnails-placeholder.svg" width="1280" height="720" alt="" loading="eager" decoding="async">',
    );
    const odd = imageTag({ ...avatar, placeholder: 'javascript:alert(1)' }, 'avatars').toString();
    expect(odd).not.toContain('style=');
  });
});
