/**
 * What /healthz says about the local disks the app writes to: LOCAL_STORAGE_DIR (the fallback
 * for uploads S3 cannot take, and the whole store in local mode) and UPLOAD_TEMP_DIR (where
 * form uploads are spooled). A directory is reported when its file system has less than
 * `lowWaterBytes` free, or when a write under it failed for lack of space (ENOSPC) within the
 * last `rememberMs` — a full disk that a deleted temp file freed a moment later still deserves
 * a line. Never throws: a disk that cannot be measured is reported as such.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { isDiskFull } from '../storage/diskFull.ts';
import type { StorageAdapter } from '../storage/contract.ts';

export interface WatchedDirectory {
  dir: string;
  /** The setting that chose it, named in the sentence so the operator knows which to move. */
  setting: string;
}

export interface DiskReport {
  dir: string;
  setting: string;
  freeBytes: number | undefined;
  /** When a write there last failed for lack of space, if within the remembered window. */
  lastFullAt: string | undefined;
}

export interface DiskSpace {
  /** Remembers that a write under `dir` failed because the disk is full. */
  noteFull(dir: string): void;
  /** One sentence per directory that is full or was a moment ago, and the figures behind them. */
  report(): Promise<{ reasons: string[]; disks: DiskReport[] }>;
}

export type FreeBytes = (dir: string) => Promise<number>;

/** Bytes an unprivileged process may still write on the file system holding `dir` (or its nearest existing parent). */
export const statfsFreeBytes: FreeBytes = async (dir) => {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    try {
      const stats = await fs.statfs(at);
      return stats.bavail * stats.bsize;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || at === path.dirname(at)) throw error;
    }
  }
};

export function createDiskSpace({
  directories,
  freeBytes = statfsFreeBytes,
  lowWaterBytes = 1024 * 1024,
  rememberMs = 60_000,
  now = Date.now,
}: {
  directories: WatchedDirectory[];
  freeBytes?: FreeBytes;
  lowWaterBytes?: number;
  rememberMs?: number;
  now?: () => number;
}): DiskSpace {
  const lastFull = new Map<string, number>();
  return {
    noteFull(dir) {
      lastFull.set(path.resolve(dir), now());
    },
    async report() {
      const reasons: string[] = [];
      const disks: DiskReport[] = [];
      for (const { dir, setting } of directories) {
        const free = await freeBytes(dir).catch(() => undefined);
        const fullAt = lastFull.get(path.resolve(dir));
        const recentlyFull = fullAt !== undefined && now() - fullAt < rememberMs;
        disks.push({
          dir,
          setting,
          freeBytes: free,
          lastFullAt: recentlyFull ? new Date(fullAt).toISOString() : undefined,
        });
        const freeText = free === undefined ? 'free space unknown' : `${free} bytes free`;
        if (recentlyFull || (free !== undefined && free < lowWaterBytes))
          reasons.push(
            `The local disk is full: ${freeText} under ${dir} (${setting})${recentlyFull ? `, and a write there failed for lack of space at ${new Date(fullAt).toISOString()}` : ''}; uploads that need it are refused until space is freed.`,
          );
        else if (free === undefined) reasons.push(`The free space under ${dir} (${setting}) could not be measured.`);
      }
      return { reasons, disks };
    },
  };
}

/** `adapter` (local disk under `dir`) telling `diskSpace` each time a put fails for lack of space. */
export function reportingDiskFull(adapter: StorageAdapter, dir: string, diskSpace: DiskSpace): StorageAdapter {
  return {
    ...adapter,
    async put(key, body, options) {
      try {
        return await adapter.put(key, body, options);
      } catch (error) {
        if (isDiskFull(error)) diskSpace.noteFull(dir);
        throw error;
      }
    },
  };
}
