/**
 * A video uploaded without a thumbnail gets one made in the browser from its own frames: the
 * home page then shows that frame (a saturated colour of the recorded clip), not the
 * placeholder — through the direct upload with S3 up, and through the form post to the app
 * with S3 down. Without JavaScript the placeholder stays.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, CHROMIUM_PATH } from '../support/browser.ts';
import { signUpInBrowser, startBrowserStage, type BrowserStage } from '../support/browserStage.ts';
import { padWebm, recordWebm } from '../support/playableVideo.ts';

const MiB = 1024 * 1024;
const PLACEHOLDER = '/static/img/thumbnails-placeholder.svg';

describe.skipIf(browserMissing)(`thumbnails made from the video in Chromium (${CHROMIUM_PATH})`, () => {
  let stage: BrowserStage;
  let page: Page;
  let file: string;

  beforeAll(async () => {
    stage = await startBrowserStage();
    page = await stage.browser.newPage();
    const clip = await recordWebm(page, 2);
    file = path.join(stage.fileDir, 'no-thumbnail.webm');
    await fs.writeFile(file, padWebm(clip, 6 * MiB));
    await signUpInBrowser(page, stage.origin, 'framer');
  });
  afterAll(async () => stage?.close());

  async function submitWithoutThumbnail(on: Page, title: string): Promise<void> {
    await on.goto(`${stage.origin}/videos/new`);
    await on.getByLabel('Title').fill(title);
    await on.setInputFiles('#video-file', file);
    await on.getByRole('button', { name: 'Submit video' }).click();
    await on.waitForURL(/\/videos\/\d+$/, { timeout: 30_000 });
  }

  const cardImage = (on: Page, title: string) =>
    on
      .locator('article.video-card')
      .filter({ has: on.getByRole('heading', { name: title, exact: true }) })
      .locator('img.thumb');

  /** The card's thumbnail once loaded: its src attribute, the URL the browser chose, and its width. */
  async function shownThumbnail(on: Page, title: string) {
    const image = cardImage(on, title);
    await image.scrollIntoViewIfNeeded({ timeout: 5_000 });
    await image.evaluate((img: HTMLImageElement) =>
      img.complete ? undefined : new Promise((resolve) => (img.onload = img.onerror = resolve)),
    );
    return image.evaluate((img: HTMLImageElement) => ({
      src: img.getAttribute('src') ?? '',
      currentSrc: img.currentSrc,
      naturalWidth: img.naturalWidth,
    }));
  }

  /** The colour most of the image has, as the most saturated channel minus the least. */
  async function chromaOf(url: string): Promise<number> {
    const response = await fetch(url);
    expect(response.status).toBe(200);
    const { dominant } = await sharp(Buffer.from(await response.arrayBuffer())).stats();
    return Math.max(dominant.r, dominant.g, dominant.b) - Math.min(dominant.r, dominant.g, dominant.b);
  }

  it('shows a frame of a directly uploaded video on the home page', async () => {
    await submitWithoutThumbnail(page, 'Framed in S3');
    await page.goto(`${stage.origin}/`);
    const image = await shownThumbnail(page, 'Framed in S3');
    expect(image.src).not.toBe(PLACEHOLDER);
    expect(image.currentSrc).toContain(`/${stage.testApp.bucket}/thumbnails/`);
    expect(image.naturalWidth).toBeGreaterThan(0);
    // The clip's background is hsl(…, 70%, 50%): strongly coloured, where the placeholder is grey.
    expect(await chromaOf(image.currentSrc)).toBeGreaterThan(80);
  });

  it('shows a frame of a video posted to the app while S3 is down', async () => {
    await stage.s3.pause();
    await stage.testApp.storageHealth.refresh();
    try {
      await submitWithoutThumbnail(page, 'Framed locally');
      await page.goto(`${stage.origin}/`);
      const image = await shownThumbnail(page, 'Framed locally');
      expect(image.src).toMatch(/^\/static\/thumbnails\/u\d+-[0-9a-f]{32}\.webp$/);
      expect(image.naturalWidth).toBeGreaterThan(0);
      expect(await chromaOf(image.currentSrc)).toBeGreaterThan(80);
    } finally {
      await stage.s3.restart();
      await stage.testApp.storageHealth.refresh();
    }
  });

  it('keeps the placeholder without JavaScript', async () => {
    const context = await stage.browser.newContext({ javaScriptEnabled: false });
    try {
      const plain = await context.newPage();
      await signUpInBrowser(plain, stage.origin, 'no-script');
      await submitWithoutThumbnail(plain, 'Not framed');
      await plain.goto(`${stage.origin}/`);
      expect(await cardImage(plain, 'Not framed').getAttribute('src', { timeout: 5_000 })).toBe(PLACEHOLDER);
    } finally {
      await context.close();
    }
  });
});
