/**
 * Issue #12 in Chromium, with JavaScript on and off, at desktop and phone widths: a stale form
 * comes back filled in with a fresh token; a lapsed session returns the member to the form,
 * filled in, after logging in; deleting a video or the account asks first (a page without
 * JavaScript, a <dialog> with it) and says what happened; votes cast from the front page
 * (without a reload when JavaScript is on). axe-core checks the states in between.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, CHROMIUM_PATH, launchChromium } from '../support/browser.ts';
import { signUp, TEST_PASSWORD } from '../support/browserlessMember.ts';
import { listenOnLoopback } from '../support/listen.ts';
import { DESKTOP, newContext, PHONE, seriousAccessibilityViolations } from '../support/pageChecks.ts';
import { createTestApp, type TestApp } from '../support/testApp.ts';

const TITLE = 'Kite surfing at dawn';
const DESCRIPTION = 'Shot on my phone, no stabiliser.';

describe.skipIf(browserMissing)(`forms that keep what was typed, and confirmations (${CHROMIUM_PATH})`, () => {
  let testApp: TestApp;
  let server: Awaited<ReturnType<typeof listenOnLoopback>>;
  let browser: Browser;
  let members = 0;

  beforeAll(async () => {
    testApp = await createTestApp();
    server = await listenOnLoopback(testApp.app);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await testApp?.close();
  });

  async function memberPage(viewport: typeof DESKTOP, javaScript: boolean): Promise<{ page: Page; username: string }> {
    const username = `member-${++members}-${javaScript ? 'js' : 'nojs'}`;
    await signUp(testApp.app, username);
    const context = await newContext(browser, viewport, javaScript);
    const page = await context.newPage();
    await page.goto(`${server.origin}/login`);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL('**/profile');
    return { page, username };
  }

  async function fillVideoForm(page: Page, url: string) {
    await page.goto(`${server.origin}/videos/new`);
    await page.getByLabel('Title').fill(TITLE);
    await page.getByLabel('Description').fill(DESCRIPTION);
    await page.getByLabel('Link to the video').fill(url);
  }

  const videoCount = async () => (await testApp.db.selectFrom('videos').select('id').execute()).length;

  for (const [viewport, javaScript] of [
    [DESKTOP, true],
    [DESKTOP, false],
    [PHONE, true],
    [PHONE, false],
  ] as const) {
    const label = `${viewport.name}, JavaScript ${javaScript ? 'on' : 'off'}`;

    it(`${label}: an expired form comes back filled in with a fresh token, and then goes through`, async () => {
      const { page } = await memberPage(viewport, javaScript);
      await fillVideoForm(page, 'https://example.com/stale');
      // As if the session's token had been replaced since the page loaded (another tab logged in again).
      await page
        .locator('form[action="/videos"] input[name=_csrf]')
        .evaluate((input: HTMLInputElement) => (input.value = 'expired'));
      const before = await videoCount();
      await page.getByRole('button', { name: 'Submit video' }).click();
      await page.locator('#error-summary', { hasText: 'This form has expired' }).waitFor();
      expect(await page.getByLabel('Title').inputValue()).toBe(TITLE);
      expect(await page.getByLabel('Description').inputValue()).toBe(DESCRIPTION);
      expect(await page.locator('form[action="/videos"] input[name=_csrf]').inputValue()).not.toBe('expired');
      expect(await videoCount()).toBe(before);
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
      await page.getByRole('button', { name: 'Submit video' }).click();
      await page.waitForURL(/\/videos\/\d+$/);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(TITLE);
      await page.context().close();
    });

    it(`${label}: a lapsed session returns the member to the form, filled in, after logging in`, async () => {
      const { page, username } = await memberPage(viewport, javaScript);
      await fillVideoForm(page, 'https://example.com/lapsed');
      await page.context().clearCookies();
      await page.getByRole('button', { name: 'Submit video' }).click();
      await page.getByText('Please log in first.').first().waitFor();
      expect(await page.locator('#restore-note').textContent()).toContain('with what you typed');
      await page.getByLabel('Username').fill(username);
      await page.getByLabel('Password').fill(TEST_PASSWORD);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForURL('**/videos/new');
      expect(await page.getByLabel('Title').inputValue()).toBe(TITLE);
      expect(await page.getByLabel('Description').inputValue()).toBe(DESCRIPTION);
      expect(await page.getByLabel('Link to the video').inputValue()).toBe('https://example.com/lapsed');
      expect(await page.getByRole('status').textContent()).toContain('You are logged in again.');
      await page.context().close();
    });

    it(`${label}: deleting a video asks first, and says what happened`, async () => {
      const { page } = await memberPage(viewport, javaScript);
      await fillVideoForm(page, 'https://example.com/doomed');
      await page.getByRole('button', { name: 'Submit video' }).click();
      await page.waitForURL(/\/videos\/\d+$/);
      const videoUrl = page.url();
      const before = await videoCount();
      await page.getByRole('link', { name: 'Delete this video…' }).click();
      if (javaScript) {
        const dialog = page.getByRole('dialog', { name: `Delete “${TITLE}”?` });
        await dialog.waitFor();
        expect(page.url()).toBe(videoUrl);
        expect(await seriousAccessibilityViolations(page)).toEqual([]);
        await dialog.getByRole('button', { name: 'Keep it' }).click();
        await dialog.waitFor({ state: 'hidden' });
        expect(await videoCount()).toBe(before);
        await page.getByRole('link', { name: 'Delete this video…' }).click();
        await dialog.getByRole('button', { name: `Delete “${TITLE}” for good` }).click();
      } else {
        await page.waitForURL(/\/videos\/\d+\/delete$/);
        expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(`Delete “${TITLE}”?`);
        expect(await seriousAccessibilityViolations(page)).toEqual([]);
        expect(await videoCount()).toBe(before);
        await page.getByRole('button', { name: `Delete “${TITLE}” for good` }).click();
      }
      await page.waitForURL('**/profile');
      expect(await page.getByRole('status').textContent()).toBe(
        `“${TITLE}” was deleted, with its thumbnail and votes.`,
      );
      expect(await videoCount()).toBe(before - 1);
      await page.context().close();
    });

    it(`${label}: deleting the account asks first, with a password field left empty, and says goodbye`, async () => {
      const { page, username } = await memberPage(viewport, javaScript);
      await page.getByRole('link', { name: 'Delete my account…' }).click();
      const scope = javaScript ? page.getByRole('dialog', { name: 'Delete your account?' }) : page.locator('main');
      if (!javaScript) await page.waitForURL('**/profile/delete');
      const password = scope.getByLabel('Type your password to confirm');
      await password.waitFor();
      expect(await password.getAttribute('autocomplete')).toBe('off');
      expect(await password.inputValue()).toBe('');
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
      await password.fill('not my password');
      await scope.getByRole('button', { name: 'Delete my account for good' }).click();
      await page.locator('#error-summary', { hasText: 'That password is not right' }).waitFor();
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('error-summary');
      await page.getByLabel('Type your password to confirm').fill(TEST_PASSWORD);
      await page.getByRole('button', { name: 'Delete my account for good' }).click();
      await page.waitForURL(`${server.origin}/`);
      expect(await page.getByRole('status').textContent()).toContain(`Your account “${username}” and everything in it`);
      expect(await page.getByRole('link', { name: 'Log in' }).count()).toBe(1);
      await page.context().close();
    });

    it(`${label}: votes from the front page${javaScript ? ', without a reload' : ''}`, async () => {
      const { page } = await memberPage(viewport, javaScript);
      await fillVideoForm(page, `https://example.com/vote-${members}`);
      await page.getByLabel('Title').fill(`Vote for me ${members}`);
      await page.getByRole('button', { name: 'Submit video' }).click();
      await page.waitForURL(/\/videos\/\d+$/);
      await page.goto(`${server.origin}/`);
      if (javaScript) await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
      const card = page.locator('.video-card', { hasText: `Vote for me ${members}` });
      const button = card.getByRole('button', { name: `Vote for “Vote for me ${members}”` });
      expect(await button.getAttribute('aria-pressed')).toBe('false');
      expect(await card.locator('.votes').textContent()).toBe('0 votes');
      await button.click();
      await card.getByRole('button', { name: `Voted for “Vote for me ${members}”` }).waitFor();
      expect(await card.locator('.votes').textContent()).toBe('1 vote');
      expect(await card.getByRole('button', { pressed: true }).count()).toBe(1);
      if (javaScript)
        expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
      await page.reload();
      expect(
        await page
          .locator('.video-card', { hasText: `Vote for me ${members}` })
          .locator('.votes')
          .textContent(),
      ).toBe('1 vote');
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
      await page.context().close();
    });
  }
});
