/**
 * A direct video upload survives its page being killed: Chromium sends two of four parts,
 * the page is closed mid-upload (the other parts still on the wire), and a new page in the
 * same browser profile picks the same file. The app answers which parts S3 holds, the
 * progress bar starts there, only the missing parts are PUT — counted by part number — and
 * the upload completes into a video that plays.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ListPartsCommand } from '@aws-sdk/client-s3';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, CHROMIUM_PATH } from '../support/browser.ts';
import { signUpInBrowser, startBrowserStage, type BrowserStage } from '../support/browserStage.ts';
import { padWebm, recordWebm } from '../support/playableVideo.ts';
import { makeS3Client } from '../support/s3Server.ts';

const MiB = 1024 * 1024;
const SIZE = 30 * MiB;

describe.skipIf(browserMissing)(`resuming a direct video upload in Chromium (${CHROMIUM_PATH})`, () => {
  let stage: BrowserStage;
  let context: BrowserContext;
  let bucketOrigin: string;
  let file: string;

  beforeAll(async () => {
    stage = await startBrowserStage();
    bucketOrigin = new URL(stage.s3.endpoint).origin;
    // One context for both pages: the same profile, so the same IndexedDB and session cookie.
    context = await stage.browser.newContext();
    const page = await context.newPage();
    const clip = await recordWebm(page, 2);
    await signUpInBrowser(page, stage.origin, 'resumer');
    await page.close();
    file = path.join(stage.fileDir, 'holiday.webm');
    await fs.writeFile(file, padWebm(clip, SIZE));
  });
  afterAll(async () => stage?.close());

  const isPart = (url: URL) => url.origin === bucketOrigin && url.searchParams.has('partNumber');
  const partOf = (url: string) => Number(new URL(url).searchParams.get('partNumber'));

  async function openForm(page: Page, title: string) {
    await page.goto(`${stage.origin}/videos/new`);
    await page.getByLabel('Title').fill(title);
    await page.setInputFiles('#video-file', file);
    await page.getByRole('button', { name: 'Submit video' }).click();
  }

  async function partsInS3(): Promise<number[]> {
    const upload = await stage.testApp.db
      .selectFrom('direct_uploads')
      .select(['key', 'upload_id'])
      .where('purpose', '=', 'video')
      .where('finalized_at', 'is', null)
      .executeTakeFirstOrThrow();
    const client = makeS3Client(stage.s3);
    try {
      const listed = await client.send(
        new ListPartsCommand({ Bucket: stage.testApp.bucket, Key: upload.key, UploadId: upload.upload_id ?? '' }),
      );
      return (listed.Parts ?? []).map((part) => part.PartNumber ?? 0);
    } finally {
      client.destroy();
    }
  }

  it('continues from the parts S3 has after the page was killed, without sending them again', async () => {
    // First visit: parts 1 and 2 reach the bucket, 3 and 4 hang until the page is killed.
    const first = await context.newPage();
    const delivered: number[] = [];
    let killed = false;
    await first.route(isPart, async (route) => {
      if (partOf(route.request().url()) <= 2) return route.continue();
      while (!killed) await sleep(50);
      await route.abort().catch(() => undefined);
    });
    first.on('response', (response) => {
      if (isPart(new URL(response.url())) && response.status() === 200) delivered.push(partOf(response.url()));
    });
    await openForm(first, 'Holiday');
    await expect.poll(() => [...delivered].sort(), { timeout: 20_000 }).toEqual([1, 2]);
    expect(await partsInS3()).toEqual([1, 2]);
    await first.close({ runBeforeUnload: false });
    killed = true;

    // Second visit: the same file again. Parts are held until the starting point has been seen.
    const second = await context.newPage();
    const sent: number[] = [];
    const appPosts: string[] = [];
    let released = false;
    second.on('request', (request) => {
      const url = new URL(request.url());
      if (isPart(url) && request.method() === 'PUT') sent.push(partOf(request.url()));
      if (url.origin === stage.origin && request.method() === 'POST') appPosts.push(url.pathname);
    });
    await second.route(isPart, async (route) => {
      while (!released) await sleep(50);
      await route.continue();
    });
    await openForm(second, 'Holiday, resumed');
    await second.locator('[data-upload-status]', { hasText: 'Resuming…' }).waitFor();
    const startingPoint = await second.locator('progress').evaluate((progress: HTMLProgressElement) => progress.value);
    expect(startingPoint).toBeCloseTo((16 * MiB) / SIZE, 5);
    expect(await second.locator('[data-upload-status]').textContent()).toBe('Resuming… 53%');
    released = true;
    await second.waitForURL(/\/videos\/\d+$/, { timeout: 30_000 });

    expect([...sent].sort()).toEqual([3, 4]);
    expect(appPosts).toEqual([
      '/uploads/videos/resume',
      '/uploads/videos/parts',
      '/uploads/videos/parts',
      '/uploads/videos/complete',
      // The thumbnail made from the video's own frame (videoThumbnail.js).
      '/uploads/presign',
      '/uploads/finalize',
    ]);
    expect(await second.getByRole('status').textContent()).toBe('Video submitted.');
    expect(await second.getByRole('heading', { level: 1 }).textContent()).toContain('Holiday, resumed');
    await second.waitForFunction(
      () => (document.querySelector('video#player') as HTMLVideoElement).readyState >= 2,
      undefined,
      { timeout: 20_000 },
    );
    // Completed: nothing left to resume, and the browser's hint is gone too.
    expect(
      await stage.testApp.db
        .selectFrom('direct_uploads')
        .select('key')
        .where('purpose', '=', 'video')
        .where('finalized_at', 'is', null)
        .execute(),
    ).toEqual([]);
    const hints = await second.evaluate(
      () =>
        new Promise<number>((resolve) => {
          const request = indexedDB.open('videovote-uploads', 1);
          request.onsuccess = () => {
            const count = request.result.transaction('video-uploads').objectStore('video-uploads').count();
            count.onsuccess = () => resolve(count.result);
          };
        }),
    );
    expect(hints).toBe(0);
  });
});
