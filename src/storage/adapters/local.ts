/**
 * Local-disk adapter: the fallback when S3 is not configured or not answering, and the
 * whole store in development. Files live under `rootDir/<folder>/<name>` and are served by
 * the app under `publicPath`. Writes go to a temp file in the same directory and are renamed
 * into place, so a crash or a failed stream never leaves a half-written image behind.
 */
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import mime from 'mime-types';
import {
  assertSafeKey,
  StorageError,
  type ByteRange,
  type ListedObject,
  type ObjectInfo,
  type PutOptions,
  type PutResult,
  type StorageAdapter,
} from '../contract.ts';

/** Opens the temp file a put writes into; it must fail if the file exists. */
export type OpenWriteStream = (file: string) => Writable;

const openExclusive: OpenWriteStream = (file) => createWriteStream(file, { flags: 'wx' });

export interface LocalAdapterOptions {
  rootDir: string;
  /** URL prefix the app serves rootDir under, e.g. "/static". */
  publicPath: string;
  /** The file system boundary of put: tests replace it to make a write fail as a full disk does (ENOSPC). */
  openWriteStream?: OpenWriteStream;
}

export function createLocalAdapter({
  rootDir,
  publicPath,
  openWriteStream = openExclusive,
}: LocalAdapterOptions): StorageAdapter {
  const root = path.resolve(rootDir);
  const prefix = publicPath.replace(/\/+$/, '');

  const fileFor = (key: string): string => {
    assertSafeKey(key);
    return path.join(root, ...key.split('/'));
  };

  return {
    location: 'local',

    /** Writes all of the bytes or none: on any failure (a full disk included) the temp file is removed; the error's cause says why. */
    async put(key: string, body: Buffer | Readable, _options: PutOptions): Promise<PutResult> {
      const file = fileFor(key);
      await fs.mkdir(path.dirname(file), { recursive: true });
      // Dot-prefixed so the static file server never hands out a partial upload.
      const temp = path.join(path.dirname(file), `.tmp-${randomBytes(8).toString('hex')}`);
      try {
        await pipeline(Buffer.isBuffer(body) ? Readable.from([body]) : body, openWriteStream(temp));
        await fs.rename(temp, file);
        return { checksum: undefined };
      } catch (error) {
        await fs.rm(temp, { force: true });
        throw new StorageError('Unknown', `Could not write ${key} to local storage`, { cause: error });
      }
    },

    async get(key: string, range?: ByteRange): Promise<Readable> {
      const file = fileFor(key);
      const handle = await fs.open(file, 'r').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') throw new StorageError('NotFound', `No local file for ${key}`, { cause: error });
        throw new StorageError('Unknown', `Could not read ${key} from local storage`, { cause: error });
      });
      // createReadStream's `end` is inclusive too, and stops at the end of the file.
      return handle.createReadStream(range && { start: range.start, end: range.end });
    },

    async head(key: string): Promise<ObjectInfo | undefined> {
      const stat = await fs.stat(fileFor(key)).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw new StorageError('Unknown', `Could not stat ${key} in local storage`, { cause: error });
      });
      if (!stat?.isFile()) return undefined;
      return { size: stat.size, contentType: mime.lookup(key) || undefined };
    },

    async *list(prefix: string): AsyncIterable<ListedObject> {
      const folder = prefix.replace(/\/+$/, '');
      const dir = path.join(root, ...folder.split('/'));
      const entries = await fs
        .readdir(dir, { recursive: true, withFileTypes: true })
        .catch((error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') return [];
          throw new StorageError('Unknown', `Could not list ${prefix} in local storage`, { cause: error });
        });
      for (const entry of entries) {
        // Dot files are in-progress writes (see put), never objects.
        if (!entry.isFile() || entry.name.startsWith('.')) continue;
        const file = path.join(entry.parentPath, entry.name);
        const stat = await fs.stat(file).catch(() => undefined);
        if (stat)
          yield { key: path.relative(root, file).split(path.sep).join('/'), size: stat.size, lastModified: stat.mtime };
      }
    },

    async delete(key: string): Promise<void> {
      await fs.rm(fileFor(key), { force: true }).catch((error: unknown) => {
        throw new StorageError('Unknown', `Could not delete ${key} from local storage`, { cause: error });
      });
    },

    urlFor(key: string): string {
      return `${prefix}/${key.split('/').map(encodeURIComponent).join('/')}`;
    },

    async isAvailable(): Promise<boolean> {
      try {
        await fs.mkdir(root, { recursive: true });
        await fs.access(root, fs.constants.W_OK);
        return true;
      } catch {
        return false;
      }
    },
  };
}
