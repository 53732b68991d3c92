/**
 * A member in Chromium submits a 30 MB video that goes straight to the S3 server as a
 * multipart upload: several part PUTs to the bucket, no video byte in any request to the app,
 * a progress bar that reaches 100%, and a video page whose player loads the result. A part
 * that fails once is retried; Cancel aborts the upload and leaves nothing in the bucket; with
 * S3 down the same form posts to the app.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { browserMissing, CHROMIUM_PATH } from '../support/browser.ts';
import { signUpInBrowser, startBrowserStage, type BrowserStage } from '../support/browserStage.ts';
import { makeImage } from '../support/imageFixtures.ts';
import { padWebm, recordWebm } from '../support/playableVideo.ts';
import { makeS3Client } from '../support/s3Server.ts';
import { listObjects } from '../support/storedState.ts';

const MB = 1024 * 1024;

interface Traffic {
  /** Requests to the app: path and body size. */
  app: Array<{ method: string; path: string; bodyBytes: number }>;
  /** PUTs to the bucket, by part number. */
  partPuts: number[];
  failedPartPuts: number[];
}

function watchTraffic(page: Page, origin: string, bucketOrigin: string): Traffic {
  const traffic: Traffic = { app: [], partPuts: [], failedPartPuts: [] };
  const partOf = (request: Request) => Number(new URL(request.url()).searchParams.get('partNumber'));
  const isPartPut = (request: Request) => request.method() === 'PUT' && new URL(request.url()).origin === bucketOrigin;
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.origin === origin)
      traffic.app.push({
        method: request.method(),
        path: url.pathname,
        bodyBytes: request.postDataBuffer()?.length ?? 0,
      });
    if (isPartPut(request)) traffic.partPuts.push(partOf(request));
  });
  page.on('requestfailed', (request) => isPartPut(request) && traffic.failedPartPuts.push(partOf(request)));
  return traffic;
}

// Browsers upload straight to the bucket: that needs the bucket's CORS rules (and, for avatars,
// POST policies), which s3rver does not implement. Chromium alone is not enough.
const s3Kind = inject('s3').kind;

describe.skipIf(browserMissing || s3Kind !== 'minio')(
  `direct video upload in Chromium (${CHROMIUM_PATH}) against MinIO only (s3rver has no CORS rules or POST policies)`,
  () => {
    let stage: BrowserStage;
    let page: Page;
    let bucketOrigin: string;
    let clip: Buffer;
    const consoleErrors: string[] = [];

    beforeAll(async () => {
      stage = await startBrowserStage();
      bucketOrigin = new URL(stage.s3.endpoint).origin;
      page = await stage.browser.newPage();
      page.on('console', (message) => message.type() === 'error' && consoleErrors.push(message.text()));
      clip = await recordWebm(page, 2);
      await signUpInBrowser(page, stage.origin, 'video-direct');
    });
    afterAll(async () => stage?.close());

    async function incompleteUploads(): Promise<string[]> {
      const client = makeS3Client(stage.s3);
      try {
        // No Prefix: MinIO lists incomplete uploads for an exact key only.
        return (
          (await client.send(new ListMultipartUploadsCommand({ Bucket: stage.testApp.bucket }))).Uploads ?? []
        ).map((upload) => upload.Key ?? '');
      } finally {
        client.destroy();
      }
    }

    async function chooseVideo(title: string, sizeBytes: number, thumbnail = false): Promise<void> {
      const file = path.join(stage.fileDir, `${title.replace(/\W+/g, '-')}.webm`);
      await fs.writeFile(file, padWebm(clip, sizeBytes));
      await page.goto(`${stage.origin}/videos/new`);
      await page.getByLabel('Title').fill(title);
      await page.setInputFiles('#video-file', file);
      if (thumbnail) {
        const image = path.join(stage.fileDir, 'poster.jpg');
        await fs.writeFile(image, await makeImage('jpeg', 640, 360, '#0b7285'));
        await page.setInputFiles('#thumbnail-file', image);
      }
    }

    it('sends a 30 MB video to the bucket in parts, never through the app, and the video page plays it', async () => {
      const traffic = watchTraffic(page, stage.origin, bucketOrigin);
      // Hold completion back until the test has seen the finished progress bar, so the page cannot move on first.
      const { promise: progressSeen, resolve: releaseCompletion } = Promise.withResolvers<void>();
      await page.route('**/uploads/videos/complete', async (route) => {
        await progressSeen;
        await route.continue();
      });
      await chooseVideo('Thirty megabytes', 30 * MB, true);
      await page.getByRole('button', { name: 'Submit video' }).click();
      await page.waitForFunction(() => (document.querySelector('progress') as HTMLProgressElement | null)?.value === 1);
      expect(await page.locator('[data-upload-status]').textContent()).toContain('100%');
      releaseCompletion();
      await page.waitForURL(/\/videos\/\d+$/);
      await page.unroute('**/uploads/videos/complete');

      expect(await page.getByRole('status').textContent()).toBe('Video submitted.');
      const source = await page.locator('video#player source').getAttribute('src');
      expect(source).toMatch(
        new RegExp(`^${stage.s3.endpoint}/${stage.testApp.bucket}/uploads/u\\d+-[0-9a-f]{32}\\.webm$`),
      );
      expect(await page.locator('video#player').getAttribute('poster')).toMatch(
        new RegExp(`/${stage.testApp.bucket}/thumbnails/`),
      );
      await page.waitForFunction(
        () => (document.querySelector('video#player') as HTMLVideoElement).readyState >= 2,
        undefined,
        { timeout: 20_000 },
      );
      expect(await page.locator('video#player').evaluate((video: HTMLVideoElement) => video.error)).toBeNull();

      // 30 MB in 8 MiB parts: 4 PUTs to the bucket; the app saw only small JSON requests.
      expect([...traffic.partPuts].sort()).toEqual([1, 2, 3, 4]);
      const posts = traffic.app.filter((request) => request.method === 'POST');
      expect(posts.map((request) => request.path)).toEqual([
        '/uploads/videos/start',
        ...Array(4).fill('/uploads/videos/parts'),
        '/uploads/videos/complete',
        '/uploads/presign',
        '/uploads/finalize',
      ]);
      expect(Math.max(...traffic.app.map((request) => request.bodyBytes))).toBeLessThan(4096);
      expect(await incompleteUploads()).toEqual([]);
      expect((await listObjects(stage.s3, stage.testApp.bucket!)).filter((key) => key.startsWith('incoming/'))).toEqual(
        [],
      );
      expect(consoleErrors.filter((text) => text.includes('Content Security Policy') || text.includes('CORS'))).toEqual(
        [],
      );
    });

    it('retries a part whose PUT failed, and still completes', async () => {
      const traffic = watchTraffic(page, stage.origin, bucketOrigin);
      let failed = false;
      await page.route(
        (url) => url.origin === bucketOrigin && url.searchParams.get('partNumber') === '2',
        async (route) => {
          if (failed) return route.continue();
          failed = true;
          await route.abort('connectionreset');
        },
      );
      await chooseVideo('Second attempt', 20 * MB);
      await page.getByRole('button', { name: 'Submit video' }).click();
      await page.waitForURL(/\/videos\/\d+$/);
      await page.unrouteAll();

      expect(traffic.failedPartPuts).toEqual([2]);
      expect([...traffic.partPuts].sort()).toEqual([1, 2, 2, 3]);
      expect(await page.getByRole('status').textContent()).toBe('Video submitted.');
      await page.waitForFunction(
        () => (document.querySelector('video#player') as HTMLVideoElement).readyState >= 2,
        undefined,
        { timeout: 20_000 },
      );
    });

    it('cancels mid-upload: the multipart upload is aborted and nothing is left in the bucket', async () => {
      const objectsBefore = await listObjects(stage.s3, stage.testApp.bucket!);
      // Parts stall on their way to the bucket until the member has pressed Cancel.
      let cancelled = false;
      await page.route(
        (url) => url.origin === bucketOrigin && url.searchParams.has('partNumber'),
        async (route) => {
          while (!cancelled) await sleep(50);
          await route.continue().catch(() => undefined);
        },
      );
      await chooseVideo('Changed my mind', 30 * MB);
      await page.getByRole('button', { name: 'Submit video' }).click();
      const cancel = page.getByRole('button', { name: 'Cancel upload' });
      await cancel.waitFor();
      expect(await incompleteUploads()).toHaveLength(1);
      await cancel.click();
      await page.locator('[data-upload-status]', { hasText: 'Upload cancelled' }).waitFor();
      cancelled = true;
      await page.unrouteAll({ behavior: 'ignoreErrors' });

      expect(new URL(page.url()).pathname).toBe('/videos/new');
      expect(await incompleteUploads()).toEqual([]);
      expect(await listObjects(stage.s3, stage.testApp.bucket!)).toEqual(objectsBefore);
      const pending = await stage.testApp.db
        .selectFrom('direct_uploads')
        .select('key')
        .where('purpose', '=', 'video')
        .where('finalized_at', 'is', null)
        .execute();
      expect(pending).toEqual([]);
    });

    it('posts the form to the app as before when S3 is down (start answers 409)', async () => {
      await stage.s3.pause();
      await stage.testApp.storageHealth.refresh();
      const traffic = watchTraffic(page, stage.origin, bucketOrigin);
      await chooseVideo('While S3 is down', 2 * MB);
      await page.getByRole('button', { name: 'Submit video' }).click();
      await page.waitForURL(/\/videos\/\d+$/);

      expect(traffic.app.filter((request) => request.method === 'POST').map((request) => request.path)).toEqual([
        '/uploads/videos/start',
        '/videos',
      ]);
      expect(traffic.partPuts).toEqual([]);
      expect(await page.getByRole('status').textContent()).toContain('kept on this server');
      expect(await page.locator('video#player source').getAttribute('src')).toMatch(
        /^\/static\/uploads\/u\d+-[0-9a-f]{32}\.webm$/,
      );
      await page.waitForFunction(
        () => (document.querySelector('video#player') as HTMLVideoElement).readyState >= 2,
        undefined,
        { timeout: 20_000 },
      );
    });
  },
);
