/**
 * Everything a browser test stands on: its own S3 server (so it may stop it), the real app
 * listening on 127.0.0.1, Chromium, and a folder for the files members pick. Plus the steps
 * members take through the real forms.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './browser.ts';
import { listenOnLoopback } from './listen.ts';
import { startS3Server, type S3TestServer } from './s3Server.ts';
import { createTestApp, type TestApp } from './testApp.ts';

export interface BrowserStage {
  s3: S3TestServer;
  testApp: TestApp;
  origin: string;
  browser: Browser;
  fileDir: string;
  close(): Promise<void>;
}

/** `startWorker: false` leaves the app's inline job runner stopped (testApp.worker.start() runs it later). */
export async function startBrowserStage({ startWorker = true } = {}): Promise<BrowserStage> {
  const s3 = await startS3Server();
  const testApp = await createTestApp({ s3 });
  // Direct image uploads are processed by the job runner, as `npm start` runs it (WORKER=inline).
  if (startWorker) await testApp.worker?.start();
  const server = await listenOnLoopback(testApp.app);
  const browser = await launchChromium();
  const fileDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vv-e2e-'));
  return {
    s3,
    testApp,
    origin: server.origin,
    browser,
    fileDir,
    async close() {
      await browser.close();
      await server.close();
      await testApp.close();
      await s3.stop();
      await fs.rm(fileDir, { recursive: true, force: true });
    },
  };
}

export async function signUpInBrowser(page: Page, origin: string, username: string): Promise<void> {
  await page.goto(`${origin}/`);
  await page.getByRole('link', { name: 'Sign up' }).first().click();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.waitForURL('**/profile');
}

export interface RenderedImage {
  src: string;
  currentSrc: string;
  naturalWidth: number;
}

/** The image once it has loaded or failed (naturalWidth is 0 for a broken image). */
export async function renderedImage(page: Page, selector: string): Promise<RenderedImage> {
  const image = page.locator(selector);
  await image.scrollIntoViewIfNeeded();
  await image.evaluate((img: HTMLImageElement) =>
    img.complete ? undefined : new Promise((resolve) => (img.onload = img.onerror = resolve)),
  );
  return image.evaluate((img: HTMLImageElement) => ({
    src: img.getAttribute('src') ?? '',
    currentSrc: img.currentSrc,
    naturalWidth: img.naturalWidth,
  }));
}
