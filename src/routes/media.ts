/**
 * `GET /media/<key>`: proxy delivery (IMAGE_URL_MODE / VIDEO_URL_MODE = proxy). The app
 * streams a stored file from wherever its row says it lives, so the bucket can stay private
 * and a CDN in front of the app can cache every response:
 *   - mounted before the session middleware, so no response ever carries a Set-Cookie;
 *   - `Cache-Control: public, max-age=31536000, immutable` (keys never get new bytes), a strong
 *     ETag from the stored SHA-256, 304 for a matching If-None-Match;
 *   - `Range` for video players: 206 with Content-Range, 416 when unsatisfiable;
 *   - Content-Type from the row (which the server chose from sniffed bytes) and nosniff.
 * Only keys recorded in stored_files (and not lost) are served — never a leftover object, the
 * storage:check test object or anything else in the bucket — and only keys whose folder is
 * delivered by proxy: a VIDEO_URL_MODE=signed video never becomes a permanent link here.
 * The lookup is one indexed query (stored_files_key, and the GIN index on variants); which
 * backend to read is the row's location, so no request is wasted on the wrong one.
 */
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request, RequestHandler, Response } from 'express';
import { sql } from 'kysely';
import type { AppDatabase } from '../db/database.ts';
import type { Logger } from '../logger.ts';
import { IMMUTABLE_CACHE_CONTROL } from '../storage/cachePolicy.ts';
import {
  assertSafeKey,
  StorageError,
  type ByteRange,
  type StorageAdapter,
  type StorageLocation,
} from '../storage/contract.ts';
import { MEDIA_PATH } from '../storage/imageUrls.ts';
import { isMediaFolder } from '../storage/keys.ts';
import { requestedRange } from '../web/requestedRange.ts';

export interface MediaRouteDeps {
  db: AppDatabase;
  adapterFor: (location: StorageLocation) => StorageAdapter | undefined;
  /** Whether the app delivers this key itself (its folder's URL mode is proxy). */
  serves: (key: string) => boolean;
  logger: Logger;
}

/** One stored copy of the requested object, as its row describes it. */
interface StoredObject {
  location: StorageLocation;
  contentType: string;
  size: number;
  sha256: string;
}

/** The path media is served under, as an Express route (the key may contain slashes). */
export const MEDIA_ROUTE = `${MEDIA_PATH}/*key`;

export function createMediaHandlers(deps: MediaRouteDeps) {
  const serve: RequestHandler = async (req, res) => {
    try {
      await serveMedia(deps, req, res);
    } catch (error) {
      // Answered here: the app's error pages sit behind the session middleware.
      deps.logger.error({ err: error, url: req.originalUrl }, 'Media request failed');
      if (!res.headersSent) sendError(res, 500, 'Something went wrong.');
      else res.destroy();
    }
  };
  return { serve };
}

async function serveMedia(deps: MediaRouteDeps, req: Request, res: Response): Promise<void> {
  const segments = (req.params as { key?: string[] | string }).key;
  const key = Array.isArray(segments) ? segments.join('/') : (segments ?? '');
  if (!isServableKey(key)) return sendError(res, 404, 'Not found.');

  const copies = await storedCopiesOf(deps.db, key);
  const first = copies[0];
  // Files waiting in the outage store are served here by every instance, whatever the URL mode.
  if (first === undefined || (!deps.serves(key) && !copies.some((copy) => copy.location === 'db')))
    return sendError(res, 404, 'Not found.');

  const etag = `"${first.sha256}"`;
  res.setHeader('ETag', etag);
  res.setHeader('Cache-Control', IMMUTABLE_CACHE_CONTROL);
  res.setHeader('Content-Type', first.contentType);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  // A file opened directly must not be able to run anything (as for /static images).
  res.setHeader('Content-Security-Policy', "default-src 'none'; img-src 'self'; media-src 'self'; sandbox");
  res.setHeader('Accept-Ranges', 'bytes');

  if (etagMatches(req.get('If-None-Match'), etag)) {
    res.status(304).end();
    return;
  }

  const range = requestedRange(req, first.size, etag);
  if (range === 'unsatisfiable') {
    res.setHeader('Content-Range', `bytes */${first.size}`);
    res.setHeader('Cache-Control', 'no-store');
    res.removeHeader('Content-Type');
    res.status(416).end();
    return;
  }
  const length = range ? range.end - range.start + 1 : first.size;
  res.setHeader('Content-Length', String(length));
  if (range) res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${first.size}`);
  res.status(range ? 206 : 200);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }

  const opened = await openFirstAvailable(deps, key, copies, range);
  if (opened === 'missing' || opened === 'unavailable') {
    for (const header of ['ETag', 'Cache-Control', 'Content-Length', 'Content-Range', 'Accept-Ranges', 'Content-Type'])
      res.removeHeader(header);
    return opened === 'missing'
      ? sendError(res, 404, 'Not found.')
      : sendError(res, 503, 'Storage is unavailable right now.', '5');
  }
  try {
    await pipeline(opened, res);
  } catch (error) {
    // The player seeked or the visitor left; pipeline has already destroyed the storage stream.
    deps.logger.debug({ key, err: error }, 'Media response ended early');
  }
}

/** Only the shapes the app itself stores: a known folder and the storage contract's safe-key rules. */
function isServableKey(key: string): boolean {
  if (!isMediaFolder(key.split('/')[0] ?? '')) return false;
  try {
    assertSafeKey(key);
    return true;
  } catch {
    return false;
  }
}

/** Every live row holding `key` (as its own key or one of its variants), S3 copies first. */
async function storedCopiesOf(db: AppDatabase, key: string): Promise<StoredObject[]> {
  const rows = await db
    .selectFrom('stored_files')
    .select(['key', 'location', 'content_type', 'bytes', 'sha256', 'variants'])
    .where('lost_at', 'is', null)
    .where((eb) => eb.or([eb('key', '=', key), eb(sql`variants`, '@>', sql`${JSON.stringify([{ key }])}::jsonb`)]))
    // 's3' sorts after 'local': S3 is the primary copy; local disk only a fallback awaiting resync.
    .orderBy('location', 'desc')
    .orderBy('id', 'asc')
    .limit(8)
    .execute();
  const copies: StoredObject[] = [];
  for (const row of rows) {
    if (copies.some((copy) => copy.location === row.location)) continue;
    // A row's bytes and sha256 describe its largest variant set; each variant carries its own.
    const variant = row.variants?.find((candidate) => candidate.key === key);
    copies.push({
      location: row.location,
      contentType: row.content_type,
      size: variant?.bytes ?? row.bytes,
      sha256: variant?.sha256 ?? row.sha256,
    });
  }
  return copies;
}

async function openFirstAvailable(
  deps: MediaRouteDeps,
  key: string,
  copies: StoredObject[],
  range: ByteRange | undefined,
): Promise<Readable | 'missing' | 'unavailable'> {
  let unavailable = false;
  for (const copy of copies) {
    const adapter = deps.adapterFor(copy.location);
    if (!adapter) {
      unavailable = true;
      continue;
    }
    try {
      return await adapter.get(key, range);
    } catch (error) {
      if (error instanceof StorageError && error.code === 'NotFound') {
        deps.logger.warn({ key, location: copy.location }, `${key} is recorded in ${copy.location} but is not there`);
      } else {
        unavailable = true;
        deps.logger.warn({ key, location: copy.location, err: error }, `Could not read ${key} from ${copy.location}`);
      }
    }
  }
  return unavailable ? 'unavailable' : 'missing';
}

/** Strong comparison; `*` matches any existing object, W/ prefixes are tolerated (RFC 9110 uses weak comparison here). */
function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}

function sendError(res: Response, status: number, message: string, retryAfter?: string): void {
  res.setHeader('Cache-Control', 'no-store');
  if (retryAfter) res.setHeader('Retry-After', retryAfter);
  res.status(status).type('text/plain; charset=utf-8').send(message);
}
