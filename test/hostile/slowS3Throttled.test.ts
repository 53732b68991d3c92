/**
 * Issue #14, "Slow S3", the second kind: S3 (real MinIO) behind a link that passes 1 KB/s each
 * way, headers included, against the app as Render runs it (`node src/server.ts`, PostgreSQL).
 * No request is late to start, every one just trickles: the budget of S3_SLOW_MS plus 4 s per
 * MiB of body (src/storage/requestBudget.ts) still calls it slow, the breaker opens, later
 * uploads go straight to the outage store, and pages keep their pace meanwhile.
 * The endpoint that answers after 2 s is in slowS3.test.ts.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type AppDatabase, openDatabase } from '../../src/db/database.ts';
import { type AppAgainstS3, signUpMembers, startAppAgainst, uploadAvatar } from '../support/appUnderLoad.ts';
import { makeImage } from '../support/imageFixtures.ts';
import { createTestDatabaseUrl, type TestDatabase } from '../support/postgres.ts';
import { expectFrontPageKeepsPace, healthOf, newestLocations } from '../support/slowS3Checks.ts';
import { startThrottlingProxy, type ThrottlingProxy } from '../support/slowS3Proxy.ts';

const s3 = inject('s3');
const ONE_KB_PER_SECOND = 1024;

describe.skipIf(!inject('databaseUrlAvailable'))(
  `S3 (${s3.kind}) behind a 1 KB/s link (needs PostgreSQL: TEST_DATABASE_URL)`,
  () => {
    let database: TestDatabase;
    let db: AppDatabase;
    let proxy: ThrottlingProxy;
    const apps: AppAgainstS3[] = [];

    beforeAll(async () => {
      database = (await createTestDatabaseUrl()) as TestDatabase;
      db = await openDatabase({ databaseUrl: database.url, dataDir: undefined });
      proxy = await startThrottlingProxy(s3.endpoint);
    });
    afterAll(async () => {
      for (const app of apps) await app.close();
      await proxy?.close();
      await db?.destroy();
      await database?.drop();
    });

    it('the trickle opens the breaker within the timeouts; later uploads go straight to the outage store', async () => {
      const app = await startAppAgainst(s3, proxy.endpoint, database.url);
      apps.push(app);
      const { origin } = app.server;
      const [member] = await signUpMembers(origin, 'trickle', 1);
      const image = (colour: string) => makeImage('png', 240, 240, colour);
      expect((await uploadAvatar(member!, await image('#102030'))).status).toBe(303);
      expect(await newestLocations(db, 1)).toEqual(['s3']);

      proxy.setBytesPerSecond(ONE_KB_PER_SECOND);
      // A replaced avatar's row goes, so where each went is read right after it.
      const locations: string[] = [];
      const first = await uploadAvatar(member!, await image('#203040'));
      locations.push(...(await newestLocations(db, 1)));
      const later = [];
      for (let i = 0; i < 4; i++) {
        later.push(await uploadAvatar(member!, await image(`#30${i}0${i}0`)));
        locations.push(...(await newestLocations(db, 1)));
      }
      const health = await healthOf(origin);
      proxy.setBytesPerSecond(undefined);
      process.stderr.write(
        `[slow-s3] 1 KB/s: first upload fell back after ${Math.round(first.elapsedMs)} ms; with the breaker open the next took ${later.map((a) => Math.round(a.elapsedMs)).join(', ')} ms\n`,
      );

      expect([first, ...later].map((answer) => answer.status)).toEqual([303, 303, 303, 303, 303]);
      expect(locations).toEqual(['db', 'db', 'db', 'db', 'db']);
      // Three attempts of a 1.5 s budget and their back-off: seconds, not the minutes the trickle would take.
      expect(first.elapsedMs).toBeGreaterThan(1_500);
      expect(first.elapsedMs).toBeLessThan(20_000);
      // Not even one budget's wait: these never asked S3.
      for (const answer of later) expect(answer.elapsedMs).toBeLessThan(1_500);
      expect(health.storage.s3.breaker).toBe('open');
      expect(health.storage.s3.lastError).toMatch(/^Timeout at /);
      expect(health.reasons.join(' ')).toContain('S3 is too slow');
      // The operator's log line names where uploads went: PostgreSQL here, not this instance's disk.
      expect(app.server.output()).toContain(
        'S3 circuit breaker opened (Timeout): uploads go straight to the outage store in PostgreSQL for now',
      );
      expect(app.server.output()).toMatch(
        /S3 upload failed \(Timeout\); storing avatars\/[^\n]+ in the outage store in PostgreSQL instead/,
      );
      expect(app.server.output()).not.toContain('on local disk instead');
    }, 90_000);

    it('the front page keeps its pace (p99 within 1.5×) while the link trickles', async () => {
      const app = await startAppAgainst(s3, proxy.endpoint, database.url);
      apps.push(app);
      await expectFrontPageKeepsPace(app.server.origin, {
        label: 'S3 behind 1 KB/s',
        usernamePrefix: 'steadytrickle',
        color: '#a06030',
        setSlow: (slow) => proxy.setBytesPerSecond(slow ? ONE_KB_PER_SECOND : undefined),
      });
    }, 120_000);
  },
);
