/**
 * A member in Chromium uploads an avatar straight to the S3 server: the file never passes
 * through the app, the progress bar reaches 100%, and the finalized avatar renders. With S3
 * down, the same form quietly posts to the app instead.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { browserMissing, CHROMIUM_PATH } from '../support/browser.ts';
import { renderedImage, signUpInBrowser, startBrowserStage, type BrowserStage } from '../support/browserStage.ts';
import { makeImage } from '../support/imageFixtures.ts';

// Browsers upload straight to the bucket: that needs the bucket's CORS rules (and, for avatars,
// POST policies), which s3rver does not implement. Chromium alone is not enough.
const s3Kind = inject('s3').kind;

describe.skipIf(browserMissing || s3Kind !== 'minio')(
  `direct upload in Chromium (${CHROMIUM_PATH}) against MinIO only (s3rver has no CORS rules or POST policies)`,
  () => {
    let stage: BrowserStage;
    beforeAll(async () => {
      stage = await startBrowserStage();
    });
    afterAll(async () => stage?.close());

    it('sends the avatar straight to S3 with a progress bar, then shows it; falls back to the form when S3 is down', async () => {
      const { s3, testApp, origin, fileDir } = stage;
      const page = await stage.browser.newPage();
      const consoleErrors: string[] = [];
      page.on('console', (message) => message.type() === 'error' && consoleErrors.push(message.text()));
      const posts: string[] = [];
      page.on(
        'request',
        (request) =>
          request.method() === 'POST' &&
          posts.push(new URL(request.url()).origin === origin ? new URL(request.url()).pathname : 'bucket'),
      );
      // Hold finalize back until the test has seen the finished progress bar, so the page cannot move on first.
      const { promise: progressSeen, resolve: releaseFinalize } = Promise.withResolvers<void>();
      await page.route('**/uploads/finalize', async (route) => {
        await progressSeen;
        await route.continue();
      });

      await signUpInBrowser(page, origin, 'direct-member');
      const photo = path.join(fileDir, 'portrait.jpg');
      await fs.writeFile(photo, await makeImage('jpeg', 900, 900, '#1971c2'));
      await page.setInputFiles('#avatar-file', photo);
      await page.getByRole('button', { name: 'Upload avatar' }).click();
      await page.waitForFunction(() => (document.querySelector('progress') as HTMLProgressElement | null)?.value === 1);
      expect(await page.locator('[data-upload-status]').textContent()).toContain('100%');
      releaseFinalize();
      // The same page reloads after finalize, now with the flash.
      await page.locator('p.flash', { hasText: 'Avatar updated.' }).waitFor();
      const avatar = await renderedImage(page, '#avatar');
      expect(avatar.currentSrc.startsWith(`${s3.endpoint}/${testApp.bucket}/avatars/`)).toBe(true);
      expect(avatar.naturalWidth).toBeGreaterThan(0);
      expect(posts).toEqual(['/signup', '/uploads/presign', 'bucket', '/uploads/finalize']);
      expect(consoleErrors.filter((text) => text.includes('Content Security Policy') || text.includes('CORS'))).toEqual(
        [],
      );

      // S3 goes away: the health probe opens the breaker, presign answers 409, the form posts to the app.
      await s3.pause();
      await testApp.storageHealth.refresh();
      posts.length = 0;
      await fs.writeFile(photo, await makeImage('jpeg', 300, 300, '#e03131'));
      await page.setInputFiles('#avatar-file', photo);
      await page.getByRole('button', { name: 'Upload avatar' }).click();
      await page.locator('p.flash', { hasText: 'kept on this server' }).waitFor();
      expect(posts).toEqual(['/uploads/presign', '/profile/avatar']);
      const fallback = await renderedImage(page, '#avatar');
      expect(fallback.currentSrc).toMatch(new RegExp(`^${origin}/static/avatars/`));
      expect(fallback.naturalWidth).toBeGreaterThan(0);
    });
  },
);
