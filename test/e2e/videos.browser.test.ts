/**
 * Two members in a real browser: one submits videos (an uploaded file and links, each with a
 * thumbnail), the other votes one to the top and takes the vote back; every image on the
 * pages renders from the S3 server. Then S3 stops: the next submission still works, its
 * thumbnail renders from local storage, and once S3 is back every image renders again.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, CHROMIUM_PATH } from '../support/browser.ts';
import {
  renderedImage,
  signUpInBrowser,
  startBrowserStage,
  type BrowserStage,
  type RenderedImage,
} from '../support/browserStage.ts';
import { makeImage } from '../support/imageFixtures.ts';
import { makeMp4 } from '../support/videoFixtures.ts';

/** Every <img> on the page, each scrolled into view (cards load lazily) and waited for. */
async function renderedImages(page: Page): Promise<RenderedImage[]> {
  const rendered: RenderedImage[] = [];
  for (let i = 0; i < (await page.locator('img').count()); i++)
    rendered.push(await renderedImage(page, `img >> nth=${i}`));
  return rendered;
}

const broken = (images: RenderedImage[]): string[] =>
  images.filter((image) => image.naturalWidth === 0).map((image) => image.currentSrc);

async function cardTitles(page: Page): Promise<string[]> {
  return (await page.locator('.video-card h3').allTextContents()).map((title) => title.trim());
}

interface Submission {
  title: string;
  url?: string;
  file?: string;
  thumbnail: string;
}

/** Fills in /videos/new as a member would and returns the new video's id. */
async function submitVideo(page: Page, origin: string, video: Submission): Promise<number> {
  await page.goto(`${origin}/`);
  await page.getByRole('link', { name: 'Submit a video' }).first().click();
  await page.waitForURL('**/videos/new');
  await page.getByLabel('Title').fill(video.title);
  if (video.url) await page.getByLabel('Link to the video').fill(video.url);
  if (video.file) await page.setInputFiles('#video-file', video.file);
  await page.setInputFiles('#thumbnail-file', video.thumbnail);
  await page.getByRole('button', { name: 'Submit video' }).click();
  await page.waitForURL(/\/videos\/\d+$/);
  return Number(new URL(page.url()).pathname.split('/').pop());
}

describe.skipIf(browserMissing)(`videos and votes in Chromium (${CHROMIUM_PATH})`, () => {
  let stage: BrowserStage;
  let memberA: Page;
  let memberB: Page;
  const contexts: BrowserContext[] = [];
  const consoleErrors: string[] = [];
  const ids = { file: 0, firstLink: 0, secondLink: 0 };
  let s3Thumbnails: string;

  async function newMemberPage(): Promise<Page> {
    const context = await stage.browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    page.on('console', (message) => message.type() === 'error' && consoleErrors.push(message.text()));
    return page;
  }

  beforeAll(async () => {
    stage = await startBrowserStage();
    s3Thumbnails = `${stage.s3.endpoint}/${stage.testApp.bucket}/thumbnails/`;
  });
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await stage?.close();
  });

  it('member A submits an uploaded file and two links, each with a thumbnail in S3', async () => {
    memberA = await newMemberPage();
    await signUpInBrowser(memberA, stage.origin, 'alice-uploads');

    const avatar = path.join(stage.fileDir, 'alice.png');
    await fs.writeFile(avatar, await makeImage('png', 96, 96, '#7048e8'));
    await memberA.setInputFiles('#avatar-file', avatar);
    await memberA.getByRole('button', { name: 'Upload avatar' }).click();
    await memberA.locator('p.flash', { hasText: 'Avatar updated.' }).waitFor();

    const clip = path.join(stage.fileDir, 'my clip.mp4');
    await fs.writeFile(clip, makeMp4());
    const thumbnails = await Promise.all(
      ['#e8590c', '#2f9e44', '#1971c2'].map(async (color, i) => {
        const thumbnail = path.join(stage.fileDir, `thumb-${i}.jpg`);
        await fs.writeFile(thumbnail, await makeImage('jpeg', 320, 180, color));
        return thumbnail;
      }),
    );
    const [fileThumb, firstLinkThumb, secondLinkThumb] = thumbnails as [string, string, string];

    ids.file = await submitVideo(memberA, stage.origin, { title: 'Uploaded clip', file: clip, thumbnail: fileThumb });
    expect(await memberA.getByRole('status').textContent()).toBe('Video submitted.');
    const player = memberA.locator('video#player');
    expect(await player.getAttribute('poster')).toMatch(new RegExp(`^${s3Thumbnails}u\\d+-[0-9a-f]{32}\\.webp$`));
    expect(await player.locator('source').getAttribute('src')).toMatch(
      new RegExp(`^${stage.s3.endpoint}/${stage.testApp.bucket}/uploads/u\\d+-[0-9a-f]{32}\\.mp4$`),
    );
    expect(await player.locator('source').getAttribute('type')).toBe('video/mp4');

    ids.firstLink = await submitVideo(memberA, stage.origin, {
      title: 'First link',
      url: 'https://www.example.com/watch?v=first',
      thumbnail: firstLinkThumb,
    });
    expect(await memberA.getByRole('status').textContent()).toBe('Video submitted.');
    expect(await memberA.getByRole('link', { name: /Watch the video/ }).getAttribute('href')).toBe(
      'https://www.example.com/watch?v=first',
    );

    ids.secondLink = await submitVideo(memberA, stage.origin, {
      title: 'Second link',
      url: 'https://videos.example.org/v/2',
      thumbnail: secondLinkThumb,
    });
    expect(await memberA.getByRole('status').textContent()).toBe('Video submitted.');
    expect(new Set(Object.values(ids)).size).toBe(3);
  });

  it('member B votes the first link to the top, then takes the vote back', async () => {
    memberB = await newMemberPage();
    await signUpInBrowser(memberB, stage.origin, 'bob-votes');

    await memberB.goto(`${stage.origin}/`);
    expect(await cardTitles(memberB)).toEqual(['Second link', 'First link', 'Uploaded clip']);
    await memberB.getByRole('link', { name: 'First link' }).click();
    await memberB.waitForURL(`**/videos/${ids.firstLink}`);

    await memberB.getByRole('button', { name: /^▲ Vote ·/ }).click();
    const voted = memberB.getByRole('button', { name: /^▲ Voted ·/ });
    await voted.waitFor();
    expect(await voted.getAttribute('aria-pressed')).toBe('true');
    expect(await memberB.locator('#vote-count').textContent()).toBe('1');

    await memberB.goto(`${stage.origin}/`);
    expect(await cardTitles(memberB)).toEqual(['First link', 'Second link', 'Uploaded clip']);
    // Issue #12: the count carries its word ("1 vote"); the ▲ moved onto the card's Vote button.
    expect((await memberB.locator('.video-card .votes').first().textContent())?.trim()).toBe('1 vote');

    await memberB.getByRole('link', { name: 'First link' }).click();
    await memberB.waitForURL(`**/videos/${ids.firstLink}`);
    await memberB.getByRole('button', { name: /^▲ Voted ·/ }).click();
    const unvoted = memberB.getByRole('button', { name: /^▲ Vote ·/ });
    await unvoted.waitFor();
    expect(await unvoted.getAttribute('aria-pressed')).toBe('false');
    expect(await memberB.locator('#vote-count').textContent()).toBe('0');

    await memberB.goto(`${stage.origin}/`);
    expect(await cardTitles(memberB)).toEqual(['Second link', 'First link', 'Uploaded clip']);
  });

  it('renders every image on the home page and the video pages, thumbnails from S3', async () => {
    await memberB.goto(`${stage.origin}/`);
    const home = await renderedImages(memberB);
    expect(broken(home)).toEqual([]);
    const thumbs = await memberB
      .locator('.video-card img.thumb')
      .evaluateAll((imgs: HTMLImageElement[]) => imgs.map((img) => img.currentSrc));
    expect(thumbs).toHaveLength(3);
    for (const src of thumbs) expect(src.startsWith(s3Thumbnails)).toBe(true);
    // Alice's avatar comes from S3 too; Bob has none, so his shows the placeholder.
    expect(
      home.some((image) => image.currentSrc.startsWith(`${stage.s3.endpoint}/${stage.testApp.bucket}/avatars/`)),
    ).toBe(true);
    expect(home.some((image) => image.src === '/static/img/avatars-placeholder.svg')).toBe(true);

    for (const id of [ids.file, ids.firstLink, ids.secondLink]) {
      await memberB.goto(`${stage.origin}/videos/${id}`);
      const images = await renderedImages(memberB);
      expect(broken(images)).toEqual([]);
      expect(images.length).toBeGreaterThanOrEqual(2); // The header and byline avatars, plus a link's thumbnail.
    }
    const linkThumb = await memberB
      .locator('.external-video img.thumb')
      .evaluate((img: HTMLImageElement) => img.currentSrc);
    expect(linkThumb.startsWith(s3Thumbnails)).toBe(true);
  });

  it('keeps submissions working with S3 down, and renders everything again once it is back', async () => {
    await stage.s3.pause();
    const thumbnail = path.join(stage.fileDir, 'offline.jpg');
    await fs.writeFile(thumbnail, await makeImage('jpeg', 240, 135, '#c2255c'));
    const id = await submitVideo(memberA, stage.origin, {
      title: 'Made while S3 was down',
      url: 'https://www.example.com/watch?v=offline',
      thumbnail,
    });
    expect(await memberA.getByRole('status').textContent()).toContain('files are kept on this server for the moment');
    const localSrc = await memberA.locator('.external-video img.thumb').getAttribute('src');
    expect(localSrc).toMatch(/^\/static\/thumbnails\/u\d+-[0-9a-f]{32}\.webp$/);
    const local = (await renderedImages(memberA)).find((image) => image.src.startsWith('/static/thumbnails/'));
    expect(local?.currentSrc.startsWith(`${stage.origin}/static/thumbnails/`)).toBe(true);
    expect(local?.naturalWidth).toBeGreaterThan(0);

    const response = await memberA.goto(`${stage.origin}/`);
    expect(response?.status()).toBe(200);
    expect(await cardTitles(memberA)).toEqual(['Made while S3 was down', 'Second link', 'First link', 'Uploaded clip']);
    expect(await memberA.locator('.video-card a.thumb-link').first().getAttribute('href')).toBe(`/videos/${id}`);
    const newCard = memberA.locator('.video-card img.thumb').first();
    await newCard.evaluate((img: HTMLImageElement) =>
      img.complete ? undefined : new Promise((resolve) => (img.onload = img.onerror = resolve)),
    );
    expect(await newCard.getAttribute('src')).toBe(localSrc);
    expect(await newCard.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(240);

    await stage.s3.restart();
    // A visitor with an empty cache, so nothing can come from before the outage.
    const visitor = await newMemberPage();
    await visitor.goto(`${stage.origin}/`);
    const home = await renderedImages(visitor);
    expect(broken(home)).toEqual([]);
    expect(home.filter((image) => image.currentSrc.startsWith(s3Thumbnails))).toHaveLength(3);
    expect(home.filter((image) => image.currentSrc.startsWith(`${stage.origin}/static/thumbnails/`))).toHaveLength(1);

    await memberA.goto(`${stage.origin}/`);
    expect(broken(await renderedImages(memberA))).toEqual([]);
    if (process.env.E2E_SCREENSHOT_DIR)
      await memberA.screenshot({ path: path.join(process.env.E2E_SCREENSHOT_DIR, 'home.png'), fullPage: true });
    expect(consoleErrors.filter((text) => text.includes('Content Security Policy'))).toEqual([]);
  });
});
