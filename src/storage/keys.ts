/**
 * Object keys are made by the server alone: a folder from a fixed list, a prefix the app
 * chose (e.g. "u42"), 128 random bits, and the extension of the sniffed type. Nothing the
 * client sent — file name, path, declared type — ever reaches a key, a path or a URL.
 * A fresh key per upload also makes every object immutable, hence cacheable for a year.
 */
import { randomBytes } from 'node:crypto';

export const IMAGE_FOLDERS = ['avatars', 'thumbnails', 'uploads'] as const;
export type ImageFolder = (typeof IMAGE_FOLDERS)[number];

export function isImageFolder(value: string): value is ImageFolder {
  return (IMAGE_FOLDERS as readonly string[]).includes(value);
}

export function newObjectKey(folder: ImageFolder, prefix: string, extension: string): string {
  if (!/^[a-z0-9-]{1,32}$/.test(prefix)) throw new Error(`Invalid key prefix "${prefix}"`);
  if (!/^[a-z0-9]{1,5}$/.test(extension)) throw new Error(`Invalid key extension "${extension}"`);
  return `${folder}/${prefix}-${randomBytes(16).toString('hex')}.${extension}`;
}
