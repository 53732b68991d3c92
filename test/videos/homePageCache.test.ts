/**
 * The front page's in-memory cache: reused while nothing was written and the TTL has not run
 * out; reloaded after a write by this process (seen by the Kysely write watcher on a real
 * database), after the TTL, and after a failed load.
 */
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.ts';
import { createWriteWatcher } from '../../src/db/writeWatcher.ts';
import { createHomePageCache } from '../../src/videos/homePageCache.ts';

function counter(values: string[] = []) {
  let loads = 0;
  return { load: async (page: number) => `${values[loads] ?? 'page'} ${page} #${++loads}`, loads: () => loads };
}

describe('home page cache', () => {
  it('serves the cached page until the write generation moves or the TTL runs out', async () => {
    let now = 1_000;
    let generation = 0;
    const source = counter();
    const homePage = createHomePageCache({
      load: source.load,
      generation: () => generation,
      ttlMs: 2_000,
      cachedPages: 2,
      now: () => now,
    });
    expect(await homePage(1)).toBe('page 1 #1');
    now += 1_999;
    expect(await homePage(1)).toBe('page 1 #1');
    generation += 1;
    expect(await homePage(1)).toBe('page 1 #2');
    now += 2_000;
    expect(await homePage(1)).toBe('page 1 #3');
    expect(await homePage(3)).toBe('page 3 #4');
    expect(await homePage(3)).toBe('page 3 #5'); // past cachedPages: never kept
  });

  it('forgets a failed load, so the next request tries again', async () => {
    let fail = true;
    const homePage = createHomePageCache({
      load: async () => {
        if (fail) throw new Error('database away');
        return 'loaded';
      },
      generation: () => 0,
      ttlMs: 60_000,
      cachedPages: 1,
    });
    await expect(homePage(1)).rejects.toThrow('database away');
    fail = false;
    expect(await homePage(1)).toBe('loaded');
  });
});

describe('write watcher on the embedded database', () => {
  it('counts completed writes, inside transactions too, and ignores reads and writes made without the plugin (sessions)', async () => {
    const watcher = createWriteWatcher();
    const unwatched = await openDatabase({ databaseUrl: undefined, dataDir: undefined });
    const db = unwatched.withPlugin(watcher.plugin);
    try {
      await db.selectFrom('videos').selectAll().execute();
      // The session store writes through the database without the plugin, as composeApp wires it.
      await unwatched
        .insertInto('sessions')
        .values({ sid: 's1', data: '{}', expires_at: new Date(Date.now() + 60_000) })
        .execute();
      expect(watcher.generation()).toBe(0);
      await db.insertInto('users').values({ username: 'ann', password_hash: 'x' }).execute();
      expect(watcher.generation()).toBe(1);
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('users').set({ username: 'ann2' }).where('username', '=', 'ann').execute();
      });
      expect(watcher.generation()).toBe(2);
      await expect(db.insertInto('users').values({ username: 'ann2', password_hash: 'x' }).execute()).rejects.toThrow();
      expect(watcher.generation()).toBe(2); // a failed write changed nothing
      await db.deleteFrom('users').execute();
      expect(watcher.generation()).toBe(3);
    } finally {
      await db.destroy();
    }
  });
});
