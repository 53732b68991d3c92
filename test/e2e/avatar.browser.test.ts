/**
 * A member in a real browser: sign up, upload an avatar, see it rendered from the S3
 * server; then S3 stops, and the next avatar still uploads and renders from local storage.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, CHROMIUM_PATH, launchChromium } from '../support/browser.js';
import { makeImage } from '../support/imageFixtures.js';
import { listenOnLoopback } from '../support/listen.js';
import { startS3Server, type S3TestServer } from '../support/s3Server.js';
import { createTestApp, type TestApp } from '../support/testApp.js';

async function renderedAvatar(page: Page): Promise<{ src: string; naturalWidth: number }> {
  const avatar = page.locator('#avatar');
  await avatar.evaluate((img: HTMLImageElement) => (img.complete ? undefined : new Promise((resolve) => (img.onload = img.onerror = resolve))));
  return avatar.evaluate((img: HTMLImageElement) => ({ src: img.currentSrc, naturalWidth: img.naturalWidth }));
}

describe.skipIf(browserMissing)(`avatar upload in Chromium (${CHROMIUM_PATH})`, () => {
  let s3: S3TestServer;
  let testApp: TestApp;
  let server: Awaited<ReturnType<typeof listenOnLoopback>>;
  let browser: Browser;
  let fileDir: string;

  beforeAll(async () => {
    s3 = await startS3Server();
    testApp = await createTestApp({ s3 });
    server = await listenOnLoopback(testApp.app);
    browser = await launchChromium();
    fileDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vv-e2e-'));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await testApp?.close();
    await s3?.stop();
    await fs.rm(fileDir, { recursive: true, force: true });
  });

  it('shows the avatar from S3, and from local storage once S3 is down', async () => {
    const page = await browser.newPage();
    const blocked: string[] = [];
    page.on('console', (message) => message.type() === 'error' && blocked.push(message.text()));

    await page.goto(`${server.origin}/`);
    await page.getByRole('link', { name: 'Sign up' }).first().click();
    await page.getByLabel('Username').fill('browser-member');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.waitForURL('**/profile');

    const photo = path.join(fileDir, 'holiday photo.jpg');
    await fs.writeFile(photo, await makeImage('jpeg', 200, 200, '#e8590c'));
    await page.setInputFiles('#avatar-file', photo);
    await page.getByRole('button', { name: 'Upload avatar' }).click();
    await page.waitForURL('**/profile');
    expect(await page.getByRole('status').textContent()).toBe('Avatar updated.');
    const fromS3 = await renderedAvatar(page);
    expect(fromS3.src.startsWith(`${s3.endpoint}/${testApp.bucket}/avatars/`)).toBe(true);
    expect(fromS3.naturalWidth).toBe(200);

    await s3.pause();
    const second = path.join(fileDir, 'second.png');
    await fs.writeFile(second, await makeImage('png', 120, 120, '#2f9e44'));
    await page.setInputFiles('#avatar-file', second);
    await page.getByRole('button', { name: 'Upload avatar' }).click();
    await page.waitForURL('**/profile');
    const fromDisk = await renderedAvatar(page);
    expect(fromDisk.src).toMatch(new RegExp(`^${server.origin}/static/avatars/u\\d+-[0-9a-f]{32}\\.png$`));
    expect(fromDisk.naturalWidth).toBe(120);
    expect(await page.getByRole('status').textContent()).toContain('kept on this server');

    await page.goto(`${server.origin}/users/browser-member`);
    const onPublicPage = await page.locator('img.avatar-lg').evaluate((img: HTMLImageElement) => img.naturalWidth);
    expect(onPublicPage).toBe(120);
    expect(blocked.filter((text) => text.includes('Content Security Policy'))).toEqual([]);
    if (process.env.E2E_SCREENSHOT_DIR) await page.screenshot({ path: path.join(process.env.E2E_SCREENSHOT_DIR, 'member-page.png'), fullPage: true });
  });
});
