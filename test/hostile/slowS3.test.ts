/**
 * Issue #14, "Slow S3": S3 (real MinIO) behind a proxy that answers every request after 2 s,
 * against the app as Render runs it (`node src/server.ts`, PostgreSQL). Pages keep their pace
 * (p99 of / within 1.5× of the same run's normal blocks), form uploads in flight stay within
 * UPLOADS_IN_FLIGHT (the excess wait, or get a 503 with Retry-After on their form, what was
 * typed kept) with the server's memory bounded, and the slowness (S3_SLOW_MS, 1.5 s) opens the
 * breaker: later uploads go straight to the outage store without an S3 request.
 * The 1 KB/s link is in slowS3Throttled.test.ts.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type AppDatabase, openDatabase } from '../../src/db/database.ts';
import { type AppAgainstS3, rssOf, signUpMembers, startAppAgainst, uploadAvatar } from '../support/appUnderLoad.ts';
import { makeImage } from '../support/imageFixtures.ts';
import { createTestDatabaseUrl, type TestDatabase } from '../support/postgres.ts';
import { HttpMember } from '../support/serverProcess.ts';
import { expectFrontPageKeepsPace, healthOf, newestLocations } from '../support/slowS3Checks.ts';
import { type DelayingProxy, startDelayingProxy } from '../support/slowS3Proxy.ts';
import { makeMp4 } from '../support/videoFixtures.ts';
import { waitFor } from '../support/waitFor.ts';

const s3 = inject('s3');
const DELAY_MS = 2_000;
const IN_FLIGHT = 3;
const BUSY_SENTENCE = 'Many uploads are being stored right now, so yours was not taken.';

/** A photo-sized body that does not compress: what a member's upload holds in memory. */
const noisyPng = (side: number) =>
  sharp({
    create: {
      width: side,
      height: side,
      channels: 3,
      background: '#808080',
      noise: { type: 'gaussian', mean: 128, sigma: 40 },
    },
  })
    .png({ compressionLevel: 1 })
    .toBuffer();

describe.skipIf(!inject('databaseUrlAvailable'))(
  `S3 (${s3.kind}) answering every request after 2 s (needs PostgreSQL: TEST_DATABASE_URL)`,
  () => {
    let database: TestDatabase;
    let db: AppDatabase;
    let proxy: DelayingProxy;
    /** Two photos, so one member's two uploads differ: identical bytes get one content key. */
    let photo: Buffer;
    let otherPhoto: Buffer;
    const apps: AppAgainstS3[] = [];

    beforeAll(async () => {
      database = (await createTestDatabaseUrl()) as TestDatabase;
      db = await openDatabase({ databaseUrl: database.url, dataDir: undefined });
      proxy = await startDelayingProxy(s3.endpoint);
      [photo, otherPhoto] = await Promise.all([noisyPng(900), noisyPng(900)]);
    });
    afterAll(async () => {
      for (const app of apps) await app.close();
      await proxy?.close();
      await db?.destroy();
      await database?.drop();
    });

    /**
     * Forty avatar uploads of a 2.4 MiB photo at once (two per member) and, while the first are
     * held by S3, the video form: its answer, every upload's, the PUTs S3 saw and the RSS peak.
     */
    async function burstOn(app: AppAgainstS3, prefix: string) {
      const { origin } = app.server;
      const pid = app.server.child.pid!;
      const members = await signUpMembers(origin, prefix, 20);
      const writer = new HttpMember(origin);
      await writer.signUp(`${prefix}writer`);
      // Warm-up: the first upload loads sharp and fills the pools; it goes to S3 at full speed.
      expect((await uploadAvatar(members[0]!, photo)).status).toBe(303);
      const s3Lines = () =>
        app.server
          .output()
          .split('\n')
          .filter((line) => line.includes('S3'))
          .slice(-3)
          .join('\n');
      expect(await newestLocations(db, 1), s3Lines()).toEqual(['s3']);
      const tokens = await Promise.all(members.map((member) => member.csrfToken('/profile')));
      const rssBefore = await rssOf(pid);

      proxy.setDelay(DELAY_MS);
      proxy.resetStats();
      let rssPeak = rssBefore;
      let sampling = true;
      const sampler = (async () => {
        for (let i = 0; i < 600 && sampling; i++) {
          rssPeak = Math.max(rssPeak, await rssOf(pid).catch(() => 0));
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      })();
      const burst = Promise.all(
        members.flatMap((member, i) => [
          uploadAvatar(member, photo, tokens[i]),
          uploadAvatar(member, otherPhoto, tokens[i]),
        ]),
      );
      await waitFor('an upload held by S3', () => proxy.stats().putsInFlight > 0, { timeoutMs: 20_000 });
      const form = new FormData();
      form.set('_csrf', await writer.csrfToken('/videos/new'));
      form.set('title', 'A slow day at the lake');
      form.set('description', 'Typed before S3 slowed down.');
      form.set('video', new Blob([new Uint8Array(makeMp4(256 * 1024))], { type: 'video/mp4' }), 'lake.mp4');
      const video = await writer.request('/videos', { method: 'POST', body: form, headers: { accept: 'text/html' } });
      const videoPage = await video.text();
      const answers = await burst;
      sampling = false;
      await sampler;
      const byStatus = Object.groupBy(answers, (answer) => String(answer.status));
      return {
        members,
        video: { status: video.status, retryAfter: video.headers.get('retry-after'), page: videoPage },
        answers,
        stored: byStatus['303'] ?? [],
        refused: byStatus['503'] ?? [],
        maxPutsInFlight: proxy.stats().maxPutsInFlight,
        rssGrowth: rssPeak - rssBefore,
      };
    }

    const describeBurst = (limit: string, b: Awaited<ReturnType<typeof burstOn>>) =>
      `[slow-s3] burst of ${b.answers.length} uploads (${Math.round(photo.length / 1024)} KiB each), UPLOADS_IN_FLIGHT=${limit}: ${b.stored.length} stored, ${b.refused.length} refused with 503, others ${JSON.stringify(b.answers.filter((a) => a.status !== 303 && a.status !== 503).map((a) => a.status))}; most PUTs open at S3 at once ${b.maxPutsInFlight}; slowest stored ${Math.round(Math.max(...b.stored.map((a) => a.elapsedMs)))} ms; RSS peak ${Math.round(b.rssGrowth / 2 ** 20)} MiB above its start\n`;

    it('form uploads in flight stay within UPLOADS_IN_FLIGHT; the excess get a 503 with Retry-After on their form, where an ungated run had them all at S3 at once; the breaker opens', async () => {
      const app = await startAppAgainst(s3, proxy.endpoint, database.url, {
        UPLOADS_IN_FLIGHT: String(IN_FLIGHT),
        UPLOAD_WAIT_SECONDS: '10',
      });
      apps.push(app);
      const { origin } = app.server;
      const gated = await burstOn(app, 'gated');
      process.stderr.write(describeBurst(String(IN_FLIGHT), gated));

      // The video form, sent while the gate was full, came back refused and filled in.
      expect(gated.video).toMatchObject({ status: 503, retryAfter: '10' });
      expect(gated.video.page).toContain(BUSY_SENTENCE);
      expect(gated.video.page).toContain('value="A slow day at the lake"');
      expect(gated.video.page).toContain('Typed before S3 slowed down.');
      const { stored, refused } = gated;
      expect(stored.length + refused.length).toBe(gated.answers.length);
      // At most IN_FLIGHT run and as many wait; everyone else is told to come back.
      expect(stored.length).toBeGreaterThanOrEqual(IN_FLIGHT);
      expect(stored.length).toBeLessThanOrEqual(2 * IN_FLIGHT);
      expect(gated.maxPutsInFlight).toBeLessThanOrEqual(IN_FLIGHT);
      for (const answer of refused) {
        expect(answer.retryAfter).toBe('10');
        // On the profile page, next to its form.
        expect(answer.body).toContain(BUSY_SENTENCE);
        expect(answer.body).toContain('name="avatar"');
      }

      // The timeouts the first uploads ran into opened the breaker; /healthz says why.
      const health = await healthOf(origin);
      expect(health.storage.s3.breaker).toBe('open');
      expect(health.storage.s3.lastError).toMatch(/^Timeout at /);
      expect(health.storage.s3.slowAfterMs).toBe(1_500);
      expect(health.reasons.join(' ')).toContain('S3 is too slow: it did not answer within 1500 ms (S3_SLOW_MS)');
      // Held by S3: each stored upload waited at least one slow answer before it fell back.
      const firstFallback = Math.min(...stored.map((answer) => answer.elapsedMs));
      expect(firstFallback).toBeGreaterThan(1_500);

      const putsBefore = proxy.stats().puts;
      const later = [];
      for (let i = 0; i < 5; i++)
        later.push(await uploadAvatar(gated.members[i]!, await makeImage('png', 200, 200, `#40${i}0${i}0`)));
      process.stderr.write(
        `[slow-s3] breaker open: first fallback after ${Math.round(firstFallback)} ms; the next uploads took ${later.map((a) => Math.round(a.elapsedMs)).join(', ')} ms with ${proxy.stats().puts - putsBefore} PUTs to S3\n`,
      );
      expect(later.map((answer) => answer.status)).toEqual([303, 303, 303, 303, 303]);
      expect(await newestLocations(db, 5)).toEqual(['db', 'db', 'db', 'db', 'db']);
      // Straight to the outage store: not one request to S3, and no wait for one.
      expect(proxy.stats().puts).toBe(putsBefore);
      expect(Math.max(...later.map((answer) => answer.elapsedMs))).toBeLessThan(firstFallback);
      await app.close();

      // The same burst with the gate wide open, in the same run: the memory the bound saves.
      // S3 is fast again while it starts, or its start-up probe would open its breaker at once.
      proxy.setDelay(0);
      const ungatedApp = await startAppAgainst(s3, proxy.endpoint, database.url, { UPLOADS_IN_FLIGHT: '1000' });
      apps.push(ungatedApp);
      const ungated = await burstOn(ungatedApp, 'ungated');
      process.stderr.write(describeBurst('1000', ungated));
      proxy.setDelay(0);
      // Really ungated: nobody was told to come back.
      expect(ungated.refused).toEqual([]);
      expect(ungated.stored.length).toBe(ungated.answers.length);
      // The bound is asserted where it is exact: the PUTs S3 saw at once. RSS peaks are printed
      // for both runs but not compared: on this machine they did not separate the two reliably
      // (gated 85 against ungated 106 MiB in one run, 121 against 90 in another).
      expect(ungated.maxPutsInFlight).toBeGreaterThan(2 * gated.maxPutsInFlight);
    }, 240_000);

    it('the front page keeps its pace (p99 within 1.5×) while uploads wait on S3', async () => {
      const app = await startAppAgainst(s3, proxy.endpoint, database.url);
      apps.push(app);
      await expectFrontPageKeepsPace(app.server.origin, {
        label: 'S3 answering after 2 s',
        usernamePrefix: 'steady',
        color: '#3060a0',
        setSlow: (slow) => proxy.setDelay(slow ? DELAY_MS : 0),
      });
    }, 120_000);
  },
);
