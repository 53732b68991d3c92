/**
 * A member in a real browser: sign up, upload an avatar, see it rendered from the S3
 * server; then S3 stops, and the next avatar still uploads and renders from local storage.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, CHROMIUM_PATH } from '../support/browser.ts';
import { renderedImage, signUpInBrowser, startBrowserStage, type BrowserStage } from '../support/browserStage.ts';
import { makeImage } from '../support/imageFixtures.ts';

describe.skipIf(browserMissing)(`avatar upload in Chromium (${CHROMIUM_PATH})`, () => {
  let stage: BrowserStage;
  beforeAll(async () => {
    stage = await startBrowserStage();
  });
  afterAll(async () => stage?.close());

  it('shows the avatar from S3, and from local storage once S3 is down', async () => {
    const { s3, testApp, origin, fileDir } = stage;
    const page = await stage.browser.newPage();
    const blocked: string[] = [];
    page.on('console', (message) => message.type() === 'error' && blocked.push(message.text()));

    await signUpInBrowser(page, origin, 'browser-member');

    const photo = path.join(fileDir, 'holiday photo.jpg');
    await fs.writeFile(photo, await makeImage('jpeg', 200, 200, '#e8590c'));
    await page.setInputFiles('#avatar-file', photo);
    await page.getByRole('button', { name: 'Upload avatar' }).click();
    // The page reloads once the upload is stored (straight to S3 when the script can, else through the app).
    await page.locator('p.flash', { hasText: 'Avatar updated.' }).waitFor();
    const fromS3 = await renderedImage(page, '#avatar');
    expect(fromS3.currentSrc.startsWith(`${s3.endpoint}/${testApp.bucket}/avatars/`)).toBe(true);
    expect(fromS3.naturalWidth).toBeGreaterThan(0);
    expect(fromS3.currentSrc).toMatch(/\.webp$/);

    await s3.pause();
    const second = path.join(fileDir, 'second.png');
    await fs.writeFile(second, await makeImage('png', 120, 120, '#2f9e44'));
    await page.setInputFiles('#avatar-file', second);
    await page.getByRole('button', { name: 'Upload avatar' }).click();
    await page.locator('p.flash', { hasText: 'kept on this server' }).waitFor();
    const fromDisk = await renderedImage(page, '#avatar');
    expect(fromDisk.currentSrc).toMatch(new RegExp(`^${origin}/static/avatars/u\\d+-[0-9a-f]{32}\\.webp$`));
    expect(fromDisk.naturalWidth).toBeGreaterThan(0);
    expect(await page.getByRole('status').textContent()).toContain('kept on this server');

    await page.goto(`${origin}/users/browser-member`);
    const onPublicPage = await renderedImage(page, 'img.avatar-lg');
    expect(onPublicPage.currentSrc).toBe(fromDisk.currentSrc);
    expect(onPublicPage.naturalWidth).toBeGreaterThan(0);
    expect(blocked.filter((text) => text.includes('Content Security Policy'))).toEqual([]);
    if (process.env.E2E_SCREENSHOT_DIR)
      await page.screenshot({ path: path.join(process.env.E2E_SCREENSHOT_DIR, 'member-page.png'), fullPage: true });
  });
});
