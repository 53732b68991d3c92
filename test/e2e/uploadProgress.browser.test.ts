/**
 * Issue #12 in Chromium, in the default set-up (no S3, so every upload goes through the app):
 * with JavaScript on, an upload shows bytes sent, percentage and time left, disables Submit,
 * can be cancelled, and a refusal appears in place; type and size are checked before sending,
 * in the server's own words; a 48-megapixel phone JPEG is shrunk in the browser before it is
 * sent. With JavaScript off the same forms work, the photo is sent whole and still accepted.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page, Request } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, CHROMIUM_PATH, launchChromium } from '../support/browser.ts';
import { signUp, TEST_PASSWORD } from '../support/browserlessMember.ts';
import { heicHeader } from '../support/hostileImages.ts';
import { makeImage } from '../support/imageFixtures.ts';
import { listenOnLoopback } from '../support/listen.ts';
import { DESKTOP, newContext, PHONE, seriousAccessibilityViolations } from '../support/pageChecks.ts';
import { createTestApp, type TestApp } from '../support/testApp.ts';
import { makeMp4 } from '../support/videoFixtures.ts';

/** What current phones save: 8000×6000 pixels, about 12 MB as JPEG (noise keeps it from compressing away). */
function phonePhoto(): Promise<Buffer> {
  return sharp({
    create: {
      width: 8000,
      height: 6000,
      channels: 3,
      background: '#808080',
      noise: { type: 'gaussian', mean: 128, sigma: 18 },
    },
  })
    .jpeg({ quality: 80 })
    .toBuffer();
}

describe.skipIf(browserMissing)(`uploads through the app, with progress (${CHROMIUM_PATH})`, () => {
  let testApp: TestApp;
  let server: Awaited<ReturnType<typeof listenOnLoopback>>;
  let browser: Browser;
  let fileDir: string;
  let members = 0;

  beforeAll(async () => {
    testApp = await createTestApp({ extraEnv: { MAX_VIDEO_SIZE_MB: '2' } });
    server = await listenOnLoopback(testApp.app);
    browser = await launchChromium();
    fileDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vv-progress-'));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await testApp?.close();
    if (fileDir) await fs.rm(fileDir, { recursive: true, force: true });
  });

  async function memberPage(viewport: typeof DESKTOP, javaScript: boolean): Promise<Page> {
    const username = `uploader-${++members}`;
    await signUp(testApp.app, username);
    const page = await (await newContext(browser, viewport, javaScript)).newPage();
    await page.goto(`${server.origin}/login`);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL('**/profile');
    return page;
  }

  /** Requests the page makes to this path, with their body sizes once answered. */
  function recordPosts(page: Page, pathname: string): Array<{ request: Request; bodyBytes: Promise<number> }> {
    const posts: Array<{ request: Request; bodyBytes: Promise<number> }> = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === pathname)
        // Chromium does not report multipart body sizes; the declared Content-Length is what was sent.
        posts.push({
          request,
          bodyBytes: request.response().then(async () => Number(await request.headerValue('content-length'))),
        });
    });
    return posts;
  }

  const videoCount = async () => (await testApp.db.selectFrom('videos').select('id').execute()).length;

  it('JavaScript on: bytes, percentage and time left while sending, Submit disabled, Cancel stops it; then a video goes through', async () => {
    const page = await memberPage(PHONE, true);
    await page.goto(`${server.origin}/videos/new`);
    const big = path.join(fileDir, 'long clip.mp4');
    await fs.writeFile(big, Buffer.concat([makeMp4(), Buffer.alloc(1536 * 1024, 7)]));
    await page.getByLabel('Title').fill('Cancelled clip');
    await page.setInputFiles('#video-file', big);
    // A phone uplink: 256 KB/s, so the 1.5 MB file takes about six seconds.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 20,
      downloadThroughput: -1,
      uploadThroughput: 256 * 1024,
    });
    const before = await videoCount();
    await page.getByRole('button', { name: 'Submit video' }).click();
    const status = page.locator('[data-upload-status]');
    await page.waitForFunction(() =>
      /Sending… [\d.]+ (KB|MB) of 1\.[56] MB \(\d+%\), .+ left/.test(
        document.querySelector('[data-upload-status]')?.textContent ?? '',
      ),
    );
    expect(await page.getByRole('button', { name: 'Submit video' }).isDisabled()).toBe(true);
    const fraction = await page.locator('form progress').evaluate((bar: HTMLProgressElement) => bar.value);
    expect(fraction).toBeGreaterThan(0);
    expect(fraction).toBeLessThan(1);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Cancel upload' }).click();
    expect(await status.textContent()).toBe('Upload cancelled. Nothing was saved.');
    expect(await page.getByRole('button', { name: 'Submit video' }).isEnabled()).toBe(true);
    expect(await page.getByLabel('Title').inputValue()).toBe('Cancelled clip');
    expect(await videoCount()).toBe(before);

    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    const clip = path.join(fileDir, 'clip.mp4');
    await fs.writeFile(clip, makeMp4());
    await page.getByLabel('Title').fill('Sent with progress');
    await page.setInputFiles('#video-file', clip);
    await page.getByRole('button', { name: 'Submit video' }).click();
    await page.waitForURL(/\/videos\/\d+$/);
    expect(await page.getByRole('status').textContent()).toBe('Video submitted.');
    expect(await page.locator('video#player source').getAttribute('type')).toBe('video/mp4');
    expect(await videoCount()).toBe(before + 1);
  });

  it('JavaScript on: the server refusal appears in place, focused; type and size are refused before sending, in the server words', async () => {
    const page = await memberPage(DESKTOP, true);
    const posts = recordPosts(page, '/profile/avatar');
    const tiny = path.join(fileDir, 'tiny.png');
    await fs.writeFile(tiny, await makeImage('png', 40, 40));
    await page.setInputFiles('#avatar-file', tiny);
    await page.getByRole('button', { name: 'Upload avatar' }).click();
    await page.locator('#error-summary', { hasText: 'That image is only 40×40 pixels' }).waitFor();
    expect(page.url()).toBe(`${server.origin}/profile`);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('error-summary');
    expect(await page.locator('#avatar-file').getAttribute('aria-invalid')).toBe('true');
    expect(posts).toHaveLength(1);

    await page.setInputFiles('#avatar-file', { name: 'IMG_0001.HEIC', mimeType: 'image/heic', buffer: heicHeader() });
    await page.getByRole('button', { name: 'Upload avatar' }).click();
    const refusal = page.locator('#avatar-file-error');
    await refusal.filter({ hasText: 'HEIC' }).waitFor();
    const clientSentence = await refusal.textContent();
    expect(clientSentence).toContain('That file is a HEIC file, not an image we accept. iPhones save photos as HEIC');
    expect(posts).toHaveLength(1);

    await page.goto(`${server.origin}/videos/new`);
    const tooBig = path.join(fileDir, 'too big.mp4');
    await fs.writeFile(tooBig, Buffer.concat([makeMp4(), Buffer.alloc(3 * 1024 * 1024)]));
    const videoPosts = recordPosts(page, '/videos');
    await page.getByLabel('Title').fill('Too big');
    await page.setInputFiles('#video-file', tooBig);
    await page.getByRole('button', { name: 'Submit video' }).click();
    await page
      .locator('#video-file-error', { hasText: 'That file is too large. Videos can be at most 2 MB.' })
      .waitFor();
    expect(videoPosts).toHaveLength(0);

    // Without JavaScript the server says the same sentence about the same HEIC file.
    const plain = await memberPage(DESKTOP, false);
    await plain.setInputFiles('#avatar-file', { name: 'IMG_0001.HEIC', mimeType: 'image/heic', buffer: heicHeader() });
    await plain.getByRole('button', { name: 'Upload avatar' }).click();
    await plain.locator('#error-summary').waitFor();
    expect(await plain.locator('#avatar-file-error').textContent()).toBe(clientSentence);
  });

  it('a 48-megapixel phone JPEG becomes an avatar: shrunk in the browser with JavaScript, sent whole without', {
    timeout: 180_000,
  }, async () => {
    const photo = path.join(fileDir, 'PXL_20261201_0800.jpg');
    const bytes = await phonePhoto();
    await fs.writeFile(photo, bytes);
    const fileBytes = bytes.length;
    expect(fileBytes).toBeGreaterThan(10 * 1024 * 1024);

    const sent: Record<string, number> = {};
    for (const javaScript of [true, false]) {
      const page = await memberPage(PHONE, javaScript);
      const posts = recordPosts(page, '/profile/avatar');
      await page.setInputFiles('#avatar-file', photo);
      await page.getByRole('button', { name: 'Upload avatar' }).click();
      await page.locator('p.flash', { hasText: 'Avatar updated.' }).waitFor({ timeout: 120_000 });
      expect(posts).toHaveLength(1);
      sent[javaScript ? 'on' : 'off'] = await posts[0]!.bodyBytes;
      const avatar = page.locator('#avatar');
      expect(
        await avatar.evaluate((img: HTMLImageElement) =>
          img.complete ? img.naturalWidth : new Promise((resolve) => (img.onload = () => resolve(img.naturalWidth))),
        ),
      ).toBeGreaterThan(0);
    }
    console.log(
      `48 MP JPEG of ${fileBytes} bytes: sent ${sent.on} bytes with JavaScript (shrunk), ${sent.off} without`,
    );
    expect(sent.on).toBeLessThan(fileBytes / 4);
    expect(sent.off).toBeGreaterThan(fileBytes);
  });
});
