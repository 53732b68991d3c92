/**
 * The change feed: a write anywhere on the database bumps every listener's generation within
 * a second (PGlite in-process; PostgreSQL from another connection), a dropped listener says
 * so and comes back, and through the real app the front page of instance A shows a vote cast
 * on instance B within 1 s while A's cache is warm (its TTL is 30 s: this is NOTIFY, not the TTL).
 */
import { sql } from 'kysely';
import pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChangeFeed, createChangeFeed } from '../../src/db/changeFeed.ts';
import { type AppDatabase, listenSourceFor, openDatabase } from '../../src/db/database.ts';
import { createLogger } from '../../src/logger.ts';
import { csrfTokenFor, signUp } from '../support/browserlessMember.ts';
import { createTestDatabaseUrl, type TestDatabase } from '../support/postgres.ts';
import { createTestApp, type TestApp } from '../support/testApp.ts';

const logger = createLogger({ level: 'silent' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function within(ms: number, check: () => boolean | Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < ms) {
    if (await check()) return Date.now() - started;
    await sleep(20);
  }
  throw new Error(`not within ${ms} ms`);
}

async function insertMember(db: AppDatabase | pg.Client, name: string): Promise<void> {
  const text = `insert into users (username, password_hash) values ('${name}', 'x')`;
  if (db instanceof pg.Client) await db.query(text);
  else await sql.raw(text).execute(db);
}

describe('change feed on PGlite', () => {
  let db: AppDatabase;
  let feed: ChangeFeed;
  beforeAll(async () => {
    db = await openDatabase({ databaseUrl: undefined, dataDir: undefined });
    feed = await createChangeFeed({ source: listenSourceFor(db), logger });
  });
  afterAll(async () => {
    await feed.close();
    await db.destroy();
  });

  it('hears a committed write to a watched table, and the jobs channel', async () => {
    expect(feed.connected()).toBe(true);
    const before = feed.generation();
    const kinds: string[] = [];
    feed.on('jobs', (kind) => kinds.push(kind));
    await insertMember(db, 'pglite_member');
    await within(1_000, () => feed.generation() > before);
    await sql`insert into jobs (kind) values ('direct-image')`.execute(db);
    await within(1_000, () => kinds.includes('direct-image'));
  });

  it('hears nothing from a rolled-back write', async () => {
    const before = feed.generation();
    await db
      .transaction()
      .execute(async (trx) => {
        await insertMember(trx, 'rolled_back');
        throw new Error('roll back');
      })
      .catch(() => undefined);
    await sleep(200);
    expect(feed.generation()).toBe(before);
  });
});

describe.skipIf(!process.env.TEST_DATABASE_URL)('change feed on PostgreSQL (needs TEST_DATABASE_URL)', () => {
  let database: TestDatabase;
  let db: AppDatabase;
  let feed: ChangeFeed;
  let other: pg.Client;
  beforeAll(async () => {
    database = (await createTestDatabaseUrl()) as TestDatabase;
    db = await openDatabase({ databaseUrl: database.url, dataDir: undefined });
    feed = await createChangeFeed({ source: listenSourceFor(db), logger });
    other = new pg.Client({ connectionString: database.url });
    await other.connect();
  });
  afterAll(async () => {
    await other?.end();
    await feed?.close();
    await db?.destroy();
    await database?.drop();
  });

  it('a write on another connection bumps the generation within 1 s', async () => {
    expect(feed.connected()).toBe(true);
    const before = feed.generation();
    await insertMember(other, 'elsewhere');
    const took = await within(1_000, () => feed.generation() > before);
    expect(took).toBeLessThan(1_000);
  });

  it('a killed listener reports disconnected, reconnects, bumps again, and hears writes after', async () => {
    const before = feed.generation();
    await other.query(
      `select pg_terminate_backend(pid) from pg_stat_activity
       where datname = current_database() and query ilike 'LISTEN%' and pid <> pg_backend_pid()`,
    );
    await within(2_000, () => !feed.connected());
    expect(feed.generation()).toBeGreaterThan(before);
    await within(5_000, () => feed.connected());
    const reconnected = feed.generation();
    await insertMember(other, 'after_reconnect');
    await within(1_000, () => feed.generation() > reconnected);
  });
});

describe.skipIf(!process.env.TEST_DATABASE_URL)(
  'two app instances: the front page of A after a vote on B (needs PostgreSQL: TEST_DATABASE_URL)',
  () => {
    let database: TestDatabase;
    let a: TestApp;
    let b: TestApp;
    beforeAll(async () => {
      database = (await createTestDatabaseUrl()) as TestDatabase;
      a = await createTestApp({ databaseUrl: database.url });
      b = await createTestApp({ databaseUrl: database.url });
    });
    afterAll(async () => {
      await a?.close();
      await b?.close();
      await database?.drop();
    });

    it('shows the new vote count on A within 1 s, with A’s page cached before the vote', async () => {
      const voter = await signUp(b.app, 'voter');
      const owner = await b.db
        .selectFrom('users')
        .select('id')
        .where('username', '=', 'voter')
        .executeTakeFirstOrThrow();
      const video = await b.db
        .insertInto('videos')
        .values({ owner_id: owner.id, title: 'Feed check', description: '', source_url: 'https://example.com/v' })
        .returning('id')
        .executeTakeFirstOrThrow();
      const countOnA = async () => {
        const page = await request(a.app).get('/');
        // The card's count, whichever side of the title the template puts it.
        return /Feed check[\s\S]*?data-vote-count>(\d+)<|data-vote-count>(\d+)<[\s\S]*?Feed check/.exec(page.text);
      };
      await within(1_000, async () => (await countOnA()) !== null);
      // Warm A's cache with the count at 0, then vote on B.
      expect((await countOnA())?.slice(1).find(Boolean)).toBe('0');
      const token = await csrfTokenFor(voter, `/videos/${video.id}`);
      const voted = await voter.post(`/videos/${video.id}/vote`).type('form').send({ _csrf: token });
      expect(voted.status).toBeLessThan(400);
      const took = await within(1_000, async () => (await countOnA())?.slice(1).find(Boolean) === '1');
      expect(took).toBeLessThan(1_000);
    });
  },
);
