/**
 * The private temp file a form upload is spooled to while it arrives — the one place that
 * creates and writes it (a disk that refuses it, ENOSPC or a quota, becomes 507 in uploadErrors.ts).
 * The spool is what lets an upload survive S3 failing halfway: every byte is on disk until
 * the file is stored somewhere (parts S3 already acknowledged cannot be read back from an S3
 * that has just failed, so keeping only the parts in flight would lose the fallback).
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Bytes the spool buffers while a write is in flight, written then as one writev. With the
 * default 16 KiB every 64 KiB network chunk waited for its own disk write (a round trip
 * through the thread pool) before the next could reach S3.
 */
const SPOOL_BUFFER_BYTES = 4 * 1024 * 1024;

export interface UploadSpool {
  path: string;
  stream: WriteStream;
}

/** Creates a new spool file (never reusing a name) in `tempDir`, which is made private if missing. */
export async function openUploadSpool(tempDir: string): Promise<UploadSpool> {
  await fs.mkdir(tempDir, { recursive: true, mode: 0o700 });
  const filePath = path.join(tempDir, `upload-${randomBytes(12).toString('hex')}`);
  const stream = createWriteStream(filePath, { flags: 'wx', mode: 0o600, highWaterMark: SPOOL_BUFFER_BYTES });
  return { path: filePath, stream };
}
