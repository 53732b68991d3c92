/**
 * What every page must pass in the browser tests (issue #12): no serious or critical axe-core
 * violation, no sideways scrolling, a meta description and a skip link. axe-core is evaluated
 * through the DevTools protocol, which the page's CSP does not govern, so the app's CSP stays
 * as strict in the tests as in production.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, BrowserContext, Page } from 'playwright-core';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface Viewport {
  name: 'desktop' | 'phone' | 'small-phone';
  width: number;
  height: number;
}

export const DESKTOP: Viewport = { name: 'desktop', width: 1280, height: 800 };
export const PHONE: Viewport = { name: 'phone', width: 390, height: 844 };
export const SMALL_PHONE: Viewport = { name: 'small-phone', width: 320, height: 640 };

export async function newContext(browser: Browser, viewport: Viewport, javaScript: boolean): Promise<BrowserContext> {
  const phone = viewport.name !== 'desktop';
  const context = await browser.newContext({
    viewport: { width: viewport.width, height: viewport.height },
    ...(phone && { isMobile: true, hasTouch: true, deviceScaleFactor: 2 }),
    javaScriptEnabled: javaScript,
  });
  if (!javaScript) withoutScripts.add(context);
  return context;
}

/**
 * Serious and critical axe-core violations, one line each ("rule (impact): help — targets").
 * axe needs timers, which a page without JavaScript does not run: such a page's HTML is
 * checked in a JavaScript-enabled copy, its own scripts removed, at the same URL (so its CSS
 * and images load as they did).
 */
export async function seriousAccessibilityViolations(page: Page): Promise<string[]> {
  if (scriptsAreOff(page)) return checkedInCopy(page);
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run(
            context: Document,
            options: object,
          ): Promise<{
            violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: string[] }> }>;
          }>;
        };
      }
    ).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      targets: violation.nodes.map((node) => node.target.join(' ')),
    }));
  });
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${violation.id} (${violation.impact}): ${violation.help} — ${violation.targets.slice(0, 3).join(', ')}`,
    );
}

/** Contexts made by newContext with JavaScript off. */
const withoutScripts = new WeakSet<BrowserContext>();

function scriptsAreOff(page: Page): boolean {
  return withoutScripts.has(page.context());
}

const copies = new WeakMap<Browser, Promise<BrowserContext>>();

async function checkedInCopy(page: Page): Promise<string[]> {
  const browser = page.context().browser();
  if (!browser) throw new Error('page without a browser');
  if (!copies.has(browser)) copies.set(browser, browser.newContext({ viewport: page.viewportSize() ?? undefined }));
  const context = await copies.get(browser)!;
  const copy = await context.newPage();
  await copy.setViewportSize(page.viewportSize() ?? { width: 1280, height: 800 });
  const html = (await page.content()).replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, '');
  const url = page.url();
  await copy.route(url, (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }));
  await copy.goto(url);
  try {
    return await seriousAccessibilityViolations(copy);
  } finally {
    await copy.close();
  }
}

/** How many CSS pixels the page is wider than the viewport (0 when nothing scrolls sideways). */
export function sidewaysOverflow(page: Page): Promise<number> {
  return page.evaluate(() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth));
}

/** The page's meta description, '' when missing. */
export async function metaDescription(page: Page): Promise<string> {
  return (await page.locator('meta[name=description]').getAttribute('content')) ?? '';
}

/** Everything a page must pass, as a list of problems (empty when it passes). */
export async function pageProblems(page: Page, label: string): Promise<string[]> {
  const problems: string[] = [];
  const overflow = await sidewaysOverflow(page);
  if (overflow > 0) problems.push(`${label}: ${overflow}px wider than the screen`);
  if ((await metaDescription(page)).length < 20) problems.push(`${label}: no meta description`);
  if ((await page.locator('a.skip-link[href="#main"]').count()) !== 1) problems.push(`${label}: no skip link`);
  for (const violation of await seriousAccessibilityViolations(page)) problems.push(`${label}: ${violation}`);
  return problems;
}
