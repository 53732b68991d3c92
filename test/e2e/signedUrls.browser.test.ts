/**
 * A new user's trial of IMAGE_URL_MODE=signed in a real browser: a private bucket (MinIO
 * refuses anonymous reads), an avatar uploaded through the form, every image on every page
 * loading from signed URLs, and a reload within the window reusing the very same URLs —
 * which is what lets the browser answer from its cache.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { browserMissing, CHROMIUM_PATH, launchChromium } from '../support/browser.ts';
import { renderedImage, signUpInBrowser } from '../support/browserStage.ts';
import { csrfTokenFor, signUp } from '../support/browserlessMember.ts';
import { makeImage } from '../support/imageFixtures.ts';
import { listenOnLoopback } from '../support/listen.ts';
import { createTestApp, type TestApp } from '../support/testApp.ts';

const s3 = inject('s3');

interface PageImage {
  src: string;
  currentSrc: string;
  naturalWidth: number;
}

/** Every <img> on the page once each has loaded or failed. */
async function imagesOn(page: Page): Promise<PageImage[]> {
  return page.evaluate(async () => {
    const images = Array.from(document.querySelectorAll('img'));
    for (const img of images) img.loading = 'eager';
    await Promise.all(
      images.map((img) => (img.complete ? undefined : new Promise((resolve) => (img.onload = img.onerror = resolve)))),
    );
    return images.map((img) => ({
      src: img.getAttribute('src') ?? '',
      currentSrc: img.currentSrc,
      naturalWidth: img.naturalWidth,
    }));
  });
}

describe.skipIf(browserMissing)(
  `IMAGE_URL_MODE=signed with a private bucket in Chromium (${CHROMIUM_PATH}, ${s3.kind})`,
  () => {
    let testApp: TestApp;
    let server: { origin: string; close(): Promise<void> };
    let browser: Browser;
    let fileDir: string;
    beforeAll(async () => {
      testApp = await createTestApp({ s3, privateBucket: true, extraEnv: { IMAGE_URL_MODE: 'signed' } });
      // The avatar goes up directly; its job is processed by the inline runner, as `npm start` runs it.
      await testApp.worker?.start();
      server = await listenOnLoopback(testApp.app);
      browser = await launchChromium();
      fileDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vv-e2e-signed-'));
    });
    afterAll(async () => {
      await browser?.close();
      await server?.close();
      await testApp?.close();
      if (fileDir) await fs.rm(fileDir, { recursive: true, force: true });
    });

    it('loads every image from signed URLs, and a reload reuses the same URLs', async () => {
      const { origin } = server;
      const bucketUrl = `${s3.endpoint}/${testApp.bucket}/`;
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));

      // Someone else's video, so the home page has a thumbnail and an avatar too.
      const other = await signUp(testApp.app, 'other-member');
      const avatarToken = await csrfTokenFor(other, '/profile');
      await other
        .post('/profile/avatar')
        .field('_csrf', avatarToken)
        .attach('avatar', await makeImage('png', 120, 120, '#1971c2'), 'a.png');
      const videoToken = await csrfTokenFor(other, '/videos/new');
      const submitted = await other
        .post('/videos')
        .field('_csrf', videoToken)
        .field('title', 'Signed thumbnail')
        .field('description', '')
        .field('url', 'https://example.com/video')
        .attach('thumbnail', await makeImage('jpeg', 640, 360, '#f08c00'), 'thumb.jpg');
      expect(submitted.status).toBe(303);

      await signUpInBrowser(page, origin, 'signed-member');
      const photo = path.join(fileDir, 'portrait.jpg');
      await fs.writeFile(photo, await makeImage('jpeg', 240, 240, '#e8590c'));
      await page.setInputFiles('#avatar-file', photo);
      await page.getByRole('button', { name: 'Upload avatar' }).click();
      // The page reloads once the upload is stored (straight to S3 when the script can, else through the app).
      await page.locator('p.flash', { hasText: 'Avatar updated.' }).waitFor();

      const avatar = await renderedImage(page, '#avatar');
      expect(avatar.currentSrc.startsWith(`${bucketUrl}avatars/`)).toBe(true);
      expect(new URL(avatar.currentSrc).searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
      expect(avatar.naturalWidth).toBeGreaterThan(0);

      if (s3.kind === 'minio') {
        const anonymous = await fetch(avatar.currentSrc.split('?')[0]!);
        expect(anonymous.status).toBe(403);
        await anonymous.body?.cancel();
      }

      for (const pagePath of ['/profile', '/users/signed-member', '/users/other-member', '/']) {
        await page.goto(`${origin}${pagePath}`);
        const before = await imagesOn(page);
        const fromBucket = before.filter((image) => image.currentSrc.startsWith(bucketUrl));
        expect(fromBucket.length, pagePath).toBeGreaterThan(0);
        for (const image of before) expect(image.naturalWidth, `${pagePath}: ${image.currentSrc}`).toBeGreaterThan(0);

        await page.reload();
        const after = await imagesOn(page);
        expect(
          after.map((image) => image.src),
          pagePath,
        ).toEqual(before.map((image) => image.src));
        expect(
          after.map((image) => image.currentSrc),
          pagePath,
        ).toEqual(before.map((image) => image.currentSrc));
        for (const image of after) expect(image.naturalWidth, `${pagePath} after reload`).toBeGreaterThan(0);
      }
      expect(problems.filter((text) => /Content Security Policy|Failed to load resource/.test(text))).toEqual([]);
      if (process.env.E2E_SCREENSHOT_DIR)
        await page.screenshot({ path: path.join(process.env.E2E_SCREENSHOT_DIR, 'signed-home.png'), fullPage: true });
    });
  },
);
