/**
 * What other processes changed, heard through LISTEN (listenSource.ts). Triggers on the tables
 * the cached read models show (migration 0010) send `read_models`; each one bumps
 * generation(), which the front-page cache adds to this process's own write generation
 * (writeWatcher.ts). So a write on any instance, or by the worker, shows on every instance's
 * front page as soon as its notification arrives (3 ms p99 on loopback, design §4). While the
 * listener is down, generation() moves every `staleAfterMs` (2 s) by itself, so the bound
 * becomes that. Other channels (`jobs`, `outbox`) are handed to subscribers (the worker's wake-up).
 */
import type { Logger } from '../logger.ts';
import type { ListenSource } from './listenSource.ts';

export const READ_MODELS_CHANNEL = 'read_models';
export const FEED_CHANNELS = [READ_MODELS_CHANNEL, 'jobs', 'outbox'] as const;
export type FeedChannel = (typeof FEED_CHANNELS)[number];

export interface ChangeFeed {
  /** Goes up on every change heard, and on every (re)connect and disconnect. */
  generation(): number;
  connected(): boolean;
  /** Calls `listener` for every notification on `channel`; returns the unsubscribe. */
  on(channel: FeedChannel, listener: (payload: string) => void): () => void;
  close(): Promise<void>;
}

export async function createChangeFeed({
  source,
  logger,
  staleAfterMs = 2_000,
  now = Date.now,
}: {
  source: ListenSource;
  logger: Logger;
  staleAfterMs?: number;
  now?: () => number;
}): Promise<ChangeFeed> {
  let heard = 0;
  let isConnected = false;
  const listeners = new Map<string, Set<(payload: string) => void>>();
  await source.start(FEED_CHANNELS, {
    notify(channel, payload) {
      if (channel === READ_MODELS_CHANNEL) heard += 1;
      for (const listener of listeners.get(channel) ?? []) listener(payload);
    },
    connected() {
      // Changes made while we were not listening were missed: everything cached is suspect.
      heard += 1;
      if (!isConnected) logger.debug('change feed: listening');
      isConnected = true;
      for (const listener of listeners.get('jobs') ?? []) listener('');
      for (const listener of listeners.get('outbox') ?? []) listener('');
    },
    disconnected(error) {
      heard += 1;
      isConnected = false;
      logger.warn(
        { err: error },
        `change feed: the listening connection dropped; caches now expire every ${staleAfterMs / 1000} s until it is back`,
      );
    },
  });
  return {
    generation: () => heard + (isConnected ? 0 : Math.floor(now() / staleAfterMs)),
    connected: () => isConnected,
    on(channel, listener) {
      const set = listeners.get(channel) ?? new Set();
      listeners.set(channel, set);
      set.add(listener);
      return () => set.delete(listener);
    },
    close: () => source.close(),
  };
}
