/**
 * Headless Chromium from Debian, driven by playwright-core — never a downloaded browser.
 * Without Chromium the browser tests are skipped with a reason, unless REQUIRE_E2E=1
 * (CI), which turns a missing browser into a failure.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const browserMissing = !existsSync(CHROMIUM_PATH);

if (browserMissing && process.env.REQUIRE_E2E === '1') {
  throw new Error(
    `REQUIRE_E2E=1 but no Chromium at ${CHROMIUM_PATH}: install Debian's chromium package (or set CHROMIUM_PATH).`,
  );
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
