/**
 * Whether browsers can load what pages link to in public mode: an anonymous HEAD of the public
 * URL of the newest file in S3 — the request a browser makes, with no credentials. A private
 * bucket answers 403 and every image on the site is broken (ERR_BLOCKED_BY_ORB) while S3 itself
 * works, which no probe with credentials can see.
 */
import type { AppDatabase } from '../db/database.ts';
import type { StorageAdapter } from '../storage/contract.ts';
import type { MediaDelivery } from '../storage/imageUrls.ts';

export type PublicReadState =
  | { state: 'not-needed' }
  | { state: 'unchecked'; why: string }
  | { state: 'ok'; url: string }
  | { state: 'blocked'; url: string; status: number };

export type PublicReadProbe = () => Promise<PublicReadState>;

export function createPublicReadProbe(deps: {
  db: AppDatabase;
  s3: StorageAdapter;
  delivery: MediaDelivery;
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
}): PublicReadProbe {
  const fetchUrl = deps.fetch ?? globalThis.fetch;
  const publicFolders = [
    ...(deps.delivery.imageMode === 'public' ? ['avatars', 'thumbnails'] : []),
    ...(deps.delivery.videoMode === 'public' ? ['uploads'] : []),
  ];
  return async () => {
    if (publicFolders.length === 0) return { state: 'not-needed' };
    const newest = await deps.db
      .selectFrom('stored_files')
      .select('key')
      .where('location', '=', 's3')
      .where('lost_at', 'is', null)
      .where('folder', 'in', publicFolders)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!newest) return { state: 'unchecked', why: 'no file in S3 yet' };
    const url = deps.s3.urlFor(newest.key);
    try {
      const response = await fetchUrl(url, { method: 'HEAD', signal: AbortSignal.timeout(deps.timeoutMs ?? 5_000) });
      if (response.ok) return { state: 'ok', url };
      if (response.status === 401 || response.status === 403) return { state: 'blocked', url, status: response.status };
      return { state: 'unchecked', why: `HTTP ${response.status} from ${url}` };
    } catch (error) {
      return { state: 'unchecked', why: error instanceof Error ? error.message : String(error) };
    }
  };
}
