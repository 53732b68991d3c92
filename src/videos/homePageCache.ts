/**
 * The front page's data, kept in memory between requests. It is the same for every visitor
 * and is read far more often than it changes, and each load is two queries (several
 * milliseconds on the embedded database, where queries run one at a time) — more than
 * rendering the page costs. An entry is used while this process has made no write since it
 * was loaded (see writeWatcher.ts; other processes' writes come through db/changeFeed.ts) and
 * for at most `ttlMs`, a last resort. Only the first pages are kept, so memory stays bounded.
 */
export interface HomePageCacheOptions<T> {
  load(page: number): Promise<T>;
  /** The write generation (writeWatcher.ts): an entry loaded under an older one is stale. */
  generation(): number;
  ttlMs: number;
  cachedPages: number;
  now?: () => number;
}

export function createHomePageCache<T>({
  load,
  generation,
  ttlMs,
  cachedPages,
  now = Date.now,
}: HomePageCacheOptions<T>) {
  const entries = new Map<number, { generation: number; loadedAt: number; value: Promise<T> }>();
  return function homePage(page: number): Promise<T> {
    if (page > cachedPages) return load(page);
    const entry = entries.get(page);
    if (entry && entry.generation === generation() && now() - entry.loadedAt < ttlMs) return entry.value;
    // The generation is read before loading, so a write that lands during the load makes this entry stale at once.
    const fresh = { generation: generation(), loadedAt: now(), value: load(page) };
    entries.set(page, fresh);
    fresh.value.catch(() => entries.get(page) === fresh && entries.delete(page));
    return fresh.value;
  };
}
