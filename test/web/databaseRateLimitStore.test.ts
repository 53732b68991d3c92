/**
 * The shared rate-limit store: its counting on both databases, and through the real app —
 * two instances (two composeApp on one PostgreSQL database) share the login throttle, with
 * the same sentence and Retry-After as before.
 */
import { createHash } from 'node:crypto';
import type { Options } from 'express-rate-limit';
import { sql } from 'kysely';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppDatabase } from '../../src/db/database.ts';
import { DatabaseRateLimitStore } from '../../src/web/databaseRateLimitStore.ts';
import { type Agent, csrfTokenFor, signUp, TEST_PASSWORD } from '../support/browserlessMember.ts';
import { useFreshDatabase } from '../support/freshDatabase.ts';
import { createTestDatabaseUrl, type TestDatabase } from '../support/postgres.ts';
import { availableDatabases, createTestApp, type TestApp } from '../support/testApp.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function storeOn(db: AppDatabase, prefix: string, windowMs: number): DatabaseRateLimitStore {
  const store = new DatabaseRateLimitStore(db, prefix);
  store.init({ windowMs } as Options);
  return store;
}

describe.each(availableDatabases(Boolean(process.env.TEST_DATABASE_URL)))('rate-limit store on %s', (kind) => {
  let db: AppDatabase;
  useFreshDatabase(kind, (opened) => (db = opened));

  it('counts, decrements, resets, and keeps one window until it ends', async () => {
    const store = storeOn(db, 'count:', 60_000);
    const first = await store.increment('k');
    expect(first.totalHits).toBe(1);
    const resetIn = (first.resetTime?.getTime() ?? 0) - Date.now();
    expect(resetIn).toBeGreaterThan(55_000);
    expect(resetIn).toBeLessThanOrEqual(61_000);
    const second = await store.increment('k');
    expect(second).toEqual({ totalHits: 2, resetTime: first.resetTime });
    await store.decrement('k');
    expect((await store.get('k'))?.totalHits).toBe(1);
    await store.resetKey('k');
    expect(await store.get('k')).toBeUndefined();
    expect((await store.increment('k')).totalHits).toBe(1);
  });

  it('starts a new window at 1 once the old one has ended', async () => {
    const store = storeOn(db, 'window:', 300);
    await store.increment('k');
    await store.increment('k');
    await sleep(400);
    expect(await store.get('k')).toBeUndefined();
    const fresh = await store.increment('k');
    expect(fresh.totalHits).toBe(1);
    expect((fresh.resetTime?.getTime() ?? 0) - Date.now()).toBeGreaterThan(0);
  });

  it('two stores on one database share counts; prefixes keep budgets apart', async () => {
    const a = storeOn(db, 'shared:', 60_000);
    const b = storeOn(db, 'shared:', 60_000);
    const other = storeOn(db, 'other:', 60_000);
    await a.increment('ip');
    await b.increment('ip');
    expect((await a.increment('ip')).totalHits).toBe(3);
    expect((await other.increment('ip')).totalHits).toBe(1);
    const { rows } = await sql<{ key: string }>`select key from rate_limit_hits order by key`.execute(db);
    const digest = createHash('sha256').update('ip').digest('base64url');
    expect(rows.map((row) => row.key)).toEqual(expect.arrayContaining([`shared:${digest}`, `other:${digest}`]));
  });

  it('counts keys holding what PostgreSQL text refuses (a NUL in a typed login name)', async () => {
    const store = storeOn(db, 'nul:', 60_000);
    await store.increment('bad\u0000name');
    expect((await store.increment('bad\u0000name')).totalHits).toBe(2);
    expect((await store.increment('badname')).totalHits).toBe(1);
  });
});

async function attemptLogin(agent: Agent, username: string, password: string) {
  const token = await csrfTokenFor(agent, '/login');
  return agent.post('/login').type('form').send({ _csrf: token, username, password });
}

describe.skipIf(!process.env.TEST_DATABASE_URL)(
  'two app instances on one PostgreSQL share the login throttle (needs PostgreSQL: TEST_DATABASE_URL)',
  () => {
    let database: TestDatabase;
    let a: TestApp;
    let b: TestApp;
    beforeAll(async () => {
      database = (await createTestDatabaseUrl()) as TestDatabase;
      const extraEnv = { LOGIN_ATTEMPTS_PER_ACCOUNT: '4', LOGIN_ATTEMPTS_PER_IP: '50' };
      a = await createTestApp({ databaseUrl: database.url, extraEnv });
      b = await createTestApp({ databaseUrl: database.url, extraEnv });
      await signUp(a.app, 'spread');
    });
    afterAll(async () => {
      await a?.close();
      await b?.close();
      await database?.drop();
    });

    it('4 wrong passwords spread over A and B, then the right one on A: 429, the sentence, Retry-After', async () => {
      for (const [i, instance] of [a, b, a, b].entries())
        expect((await attemptLogin(request.agent(instance.app), 'spread', `wrong-guess-${i}`)).status).toBe(401);
      const refused = await attemptLogin(request.agent(a.app), 'spread', TEST_PASSWORD);
      expect(refused.status).toBe(429);
      expect(refused.text).toMatch(/Too many attempts\. Please wait \d+ minutes? and try again\./);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(15 * 60);
      expect((await attemptLogin(request.agent(b.app), 'spread', TEST_PASSWORD)).status).toBe(429);
    });
  },
);
