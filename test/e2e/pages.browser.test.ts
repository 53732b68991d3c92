/**
 * Issue #12, every page in Chromium at 1280 px, 390 px and 320 px, with JavaScript on and off,
 * signed in (as a member with a 30-character name, the longest allowed) and signed out, in
 * their empty, full and error states: nothing scrolls sideways, the header keeps "Log out"
 * on the screen, every page has a skip link and a meta description, and axe-core finds no
 * serious or critical violation. E2E_SCREENSHOT_DIR=<dir> saves what the pages look like.
 */
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, CHROMIUM_PATH, launchChromium } from '../support/browser.ts';
import { csrfTokenFor, signUp, TEST_PASSWORD, uploadAvatar, type Agent } from '../support/browserlessMember.ts';
import { makeImage } from '../support/imageFixtures.ts';
import { listenOnLoopback } from '../support/listen.ts';
import { DESKTOP, newContext, PHONE, pageProblems, SMALL_PHONE, type Viewport } from '../support/pageChecks.ts';
import { createTestApp, type TestApp } from '../support/testApp.ts';

const LONG_NAME = 'carol-on-phone-with-long-name1';
const LONG_TITLE = `Our trip: ${'Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch'.repeat(2)}`.slice(0, 120);
const PASTED_LINK = `https://www.example.com/watch/${'a-very-long-path-segment-without-spaces-'.repeat(6)}?v=123`;

async function submitLink(
  agent: Agent,
  fields: { title: string; url: string; description?: string },
  thumbnail?: Buffer,
) {
  const token = await csrfTokenFor(agent, '/videos/new');
  let post = agent.post('/videos').field('_csrf', token).field('title', fields.title).field('url', fields.url);
  if (fields.description) post = post.field('description', fields.description);
  if (thumbnail) post = post.attach('thumbnail', thumbnail, { filename: 'thumb.jpg', contentType: 'image/jpeg' });
  const response = await post;
  if (response.status !== 303) throw new Error(`submission failed: ${response.status}`);
  return Number(response.headers.location?.split('/').pop());
}

describe.skipIf(browserMissing)(`every page on phones and desktops, axe-core clean (${CHROMIUM_PATH})`, () => {
  let testApp: TestApp;
  let server: Awaited<ReturnType<typeof listenOnLoopback>>;
  let browser: Browser;
  let videoId: number;

  beforeAll(async () => {
    testApp = await createTestApp();
    server = await listenOnLoopback(testApp.app);
    browser = await launchChromium();
    const carol = await signUp(testApp.app, LONG_NAME);
    await uploadAvatar(carol, await makeImage('jpeg', 200, 200, '#e8590c'), 'me.jpg');
    videoId = await submitLink(
      carol,
      { title: LONG_TITLE, url: PASTED_LINK, description: `Pasted straight from the app:\n${PASTED_LINK}` },
      await makeImage('jpeg', 640, 360, '#1971c2'),
    );
    await submitLink(carol, { title: 'Second video, no thumbnail', url: 'https://example.com/2' });
    const dave = await signUp(testApp.app, 'dave');
    await dave
      .post(`/videos/${videoId}/vote`)
      .type('form')
      .send({ _csrf: await csrfTokenFor(dave, '/') });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await testApp?.close();
  });

  async function screenshot(page: Page, name: string) {
    const dir = process.env.E2E_SCREENSHOT_DIR;
    if (dir) await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
  }

  async function logIn(page: Page) {
    await page.goto(`${server.origin}/login`);
    await page.getByLabel('Username').fill(LONG_NAME);
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL('**/profile');
  }

  /** The header holds on a phone: "Log out" stays on the screen and no link breaks into one word per line. */
  async function headerProblems(page: Page, viewport: Viewport, label: string): Promise<string[]> {
    const problems: string[] = [];
    for (const name of ['Log out', 'Submit a video']) {
      const control = page
        .locator('.site-header')
        .getByRole(name === 'Log out' ? 'button' : 'link', { name, exact: true });
      const box = await control.boundingBox();
      if (!box) problems.push(`${label}: no "${name}" in the header`);
      else if (box.x < 0 || box.x + box.width > viewport.width) problems.push(`${label}: "${name}" is off the screen`);
      else if (box.height > 40) problems.push(`${label}: "${name}" wraps onto ${Math.round(box.height)} px`);
    }
    return problems;
  }

  for (const viewport of [DESKTOP, PHONE, SMALL_PHONE]) {
    for (const javaScript of [true, false]) {
      const label = `${viewport.name}, JavaScript ${javaScript ? 'on' : 'off'}`;
      it(`${label}: signed in and signed out, empty, full and error states`, { timeout: 180_000 }, async () => {
        const problems: string[] = [];
        const visitor = await newContext(browser, viewport, javaScript);
        const anonymous = await visitor.newPage();
        for (const [name, url] of [
          ['home', '/'],
          ['sign-up', '/signup'],
          ['log-in', '/login'],
          ['video', `/videos/${videoId}`],
          ['member', `/users/${LONG_NAME}`],
          ['not-found', '/no-such-page'],
        ] as const) {
          await anonymous.goto(`${server.origin}${url}`);
          problems.push(...(await pageProblems(anonymous, `${label}, signed out, ${name}`)));
        }
        // An empty sign-up: the error summary takes focus, the fields point at their messages.
        await anonymous.goto(`${server.origin}/signup`);
        await anonymous.getByRole('button', { name: 'Sign up' }).click();
        await anonymous.locator('#error-summary').waitFor();
        expect(await anonymous.evaluate(() => document.activeElement?.id)).toBe('error-summary');
        expect(await anonymous.locator('#username').getAttribute('aria-invalid')).toBe('true');
        expect(await anonymous.locator('#username').getAttribute('aria-describedby')).toBe(
          'username-help username-error',
        );
        expect(await anonymous.locator('#username-error').textContent()).toBe('Enter a username.');
        problems.push(...(await pageProblems(anonymous, `${label}, sign-up with errors`)));
        await visitor.close();

        const context = await newContext(browser, viewport, javaScript);
        const page = await context.newPage();
        await logIn(page);
        const shots = javaScript ? '' : '-nojs';
        for (const [name, url] of [
          ['profile', '/profile'],
          ['home', '/'],
          ['video', `/videos/${videoId}`],
          ['member', `/users/${LONG_NAME}`],
          ['submit', '/videos/new'],
          ['confirm-delete-video', `/videos/${videoId}/delete`],
          ['confirm-delete-account', '/profile/delete'],
          ['not-found', '/no-such-page'],
        ] as const) {
          await page.goto(`${server.origin}${url}`);
          problems.push(...(await pageProblems(page, `${label}, signed in, ${name}`)));
          problems.push(...(await headerProblems(page, viewport, `${label}, ${name}`)));
          if (['home', 'video', 'profile', 'submit'].includes(name))
            await screenshot(page, `${viewport.name}${shots}-${name}`);
        }
        // The submit form sent empty: its summary takes focus, and links to the title.
        await page.goto(`${server.origin}/videos/new`);
        await page.getByRole('button', { name: 'Submit video' }).click();
        await page.locator('#error-summary').waitFor();
        await page.waitForFunction(() => document.activeElement?.id === 'error-summary');
        expect(await page.locator('#error-summary a').first().getAttribute('href')).toBe('#title');
        expect(await page.locator('#title').getAttribute('aria-invalid')).toBe('true');
        problems.push(...(await pageProblems(page, `${label}, submit with errors`)));
        await screenshot(page, `${viewport.name}${shots}-submit-errors`);

        // The skip link is the first thing Tab reaches, and it leads to the main content.
        await page.goto(`${server.origin}/`);
        await page.keyboard.press('Tab');
        expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to main content');
        await page.keyboard.press('Enter');
        // Following the link is a (same-document) navigation: wait for it rather than racing it.
        await page.waitForURL((url) => url.hash === '#main');
        expect(new URL(page.url()).hash).toBe('#main');
        await context.close();
        expect(problems).toEqual([]);
      });
    }
  }
});
