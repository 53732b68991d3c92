/**
 * The URL builder picks public, signed or proxy URLs per folder (videos under uploads/ follow
 * VIDEO_URL_MODE), keeps /static URLs for files on local disk in every mode, and does it all
 * without I/O: adapters here are plain objects whose only used method is urlFor.
 */
import { describe, expect, it } from 'vitest';
import type { StorageAdapter, StorageLocation } from '../../src/storage/contract.ts';
import { createImageUrlBuilder, createStoredFileUrl, type MediaDelivery } from '../../src/storage/imageUrls.ts';

const unused = () => {
  throw new Error('getImageUrl must not do I/O');
};
const fakeAdapter = (location: StorageLocation, base: string): StorageAdapter => ({
  location,
  put: unused,
  get: unused,
  head: unused,
  list: unused,
  delete: unused,
  isAvailable: unused,
  urlFor: (key) => `${base}/${key}`,
});
const s3 = fakeAdapter('s3', 'https://cdn.example.com');
const local = fakeAdapter('local', '/static');
const adapterFor = (location: StorageLocation) => (location === 's3' ? s3 : local);
const placeholder = (folder: string) => `/static/img/${folder}-placeholder.svg`;
const signedUrlFor = (key: string) => `https://bucket.example.com/${key}?X-Amz-Signature=sig`;

const build = (delivery: MediaDelivery) => createImageUrlBuilder(adapterFor, s3, placeholder, delivery);

const avatar = {
  key: 'avatars/u1-big.webp',
  location: 's3' as const,
  variants: [
    { key: 'avatars/u1-big.webp', width: 256, height: 256 },
    { key: 'avatars/u1-small.webp', width: 64, height: 64 },
  ],
};
const video = { key: 'uploads/u1-clip.mp4', location: 's3' as const };

describe('URL building by delivery mode', () => {
  it('public: bucket or CDN URLs, as before', () => {
    const getImageUrl = build({ imageMode: 'public', videoMode: 'public' });
    expect(getImageUrl(avatar, 'avatars', 64)).toBe('https://cdn.example.com/avatars/u1-small.webp');
    expect(getImageUrl(video, 'uploads')).toBe('https://cdn.example.com/uploads/u1-clip.mp4');
  });

  it("signed: the signer's URL for every S3 file", () => {
    const getImageUrl = build({ imageMode: 'signed', videoMode: 'signed', signedUrlFor });
    expect(getImageUrl(avatar, 'avatars', 200)).toBe(signedUrlFor('avatars/u1-big.webp'));
    expect(getImageUrl('avatars/u1-legacy.png', 'avatars')).toBe(signedUrlFor('avatars/u1-legacy.png'));
  });

  it("proxy: the app's /media route", () => {
    const getImageUrl = build({ imageMode: 'proxy', videoMode: 'proxy' });
    expect(getImageUrl(avatar, 'avatars', 64)).toBe('/media/avatars/u1-small.webp');
    expect(getImageUrl(video, 'uploads')).toBe('/media/uploads/u1-clip.mp4');
  });

  it('private videos: VIDEO_URL_MODE applies to uploads/ only', () => {
    const getImageUrl = build({ imageMode: 'public', videoMode: 'signed', signedUrlFor });
    expect(getImageUrl(video, 'uploads')).toBe(signedUrlFor(video.key));
    expect(getImageUrl(avatar, 'avatars', 64)).toBe('https://cdn.example.com/avatars/u1-small.webp');
    expect(getImageUrl({ key: 'thumbnails/u1-t.webp', location: 's3' }, 'thumbnails')).toBe(
      'https://cdn.example.com/thumbnails/u1-t.webp',
    );
  });

  it('keeps /static URLs for files on local disk in every mode, and placeholders for missing images', () => {
    for (const mode of ['public', 'signed', 'proxy'] as const) {
      const getImageUrl = build({ imageMode: mode, videoMode: mode, signedUrlFor });
      expect(getImageUrl({ ...avatar, location: 'local' }, 'avatars', 64)).toBe('/static/avatars/u1-small.webp');
      expect(getImageUrl({ ...video, location: 'local' }, 'uploads')).toBe('/static/uploads/u1-clip.mp4');
      expect(getImageUrl(null, 'thumbnails')).toBe('/static/img/thumbnails-placeholder.svg');
    }
  });

  it('refuses signed mode without a signer, at wiring time rather than on a page', () => {
    expect(() => createStoredFileUrl(adapterFor, { imageMode: 'public', videoMode: 'signed' })).toThrow(/signer/);
  });
});
