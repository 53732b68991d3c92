/**
 * Object keys are made by the server alone: a folder from a fixed list, a prefix the app
 * chose (e.g. "u42"), then either the hash of the bytes (images the server re-encoded) or
 * 128 random bits (videos, stored as sent), and the extension of the type the server
 * established. Nothing the client sent — file name, path, declared type — ever reaches a
 * key, a path or a URL. Bytes never change under a key, so every object is cacheable for a year.
 */
import { randomBytes } from 'node:crypto';

export const MEDIA_FOLDERS = ['avatars', 'thumbnails', 'uploads'] as const;
export type MediaFolder = (typeof MEDIA_FOLDERS)[number];

export function isMediaFolder(value: string): value is MediaFolder {
  return (MEDIA_FOLDERS as readonly string[]).includes(value);
}

function checkedKey(folder: MediaFolder, prefix: string, id: string, extension: string): string {
  // A key segment must begin with a letter or digit (assertSafeKey), so the prefix must too.
  if (!/^[a-z0-9][a-z0-9-]{0,31}$/.test(prefix)) throw new Error(`Invalid key prefix "${prefix}"`);
  if (!/^[a-z0-9]{1,5}$/.test(extension)) throw new Error(`Invalid key extension "${extension}"`);
  return `${folder}/${prefix}-${id}.${extension}`;
}

export function newObjectKey(folder: MediaFolder, prefix: string, extension: string): string {
  return checkedKey(folder, prefix, randomBytes(16).toString('hex'), extension);
}

/** The same bytes always get the same key (128 bits of their SHA-256). */
export function contentKey(folder: MediaFolder, prefix: string, sha256: string, extension: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error('contentKey needs a hex SHA-256');
  return checkedKey(folder, prefix, sha256.slice(0, 32), extension);
}
