/**
 * Every image on every page, as an anonymous visitor's browser would load it: the front page,
 * every member's profile and every video's page are fetched, every URL in an <img>'s `src` and
 * `srcset` is collected, and each distinct one is fetched once; it must answer 200 with an
 * image. Bounded: at most MAX_PAGES pages, at most `withinMs` overall.
 */
import { HttpMember } from '../support/httpMember.ts';
import { runPool } from '../support/pool.ts';

const MAX_PAGES = 5_000;
const CONCURRENCY = 4;
const FETCH_TIMEOUT_MS = 15_000;

export interface PageImageAudit {
  pages: number;
  pagesFailed: string[];
  images: number;
  broken: string[];
  timedOut: boolean;
}

export async function auditPageImages(
  origin: string,
  usernames: readonly string[],
  videoIds: readonly number[],
  withinMs: number,
): Promise<PageImageAudit> {
  const deadline = Date.now() + withinMs;
  const visitor = HttpMember.visitor(origin);
  const pages = [
    '/',
    ...usernames.map((name) => `/users/${encodeURIComponent(name)}`),
    ...videoIds.map((id) => `/videos/${id}`),
  ].slice(0, MAX_PAGES);
  const imageUrls = new Set<string>();
  const pagesFailed: string[] = [];
  let timedOut = false;
  await runPool(pages.length, CONCURRENCY, async (index) => {
    if (Date.now() > deadline) {
      timedOut = true;
      return;
    }
    const page = pages[index]!;
    const reply = await visitor.send('GET', page);
    if (reply.status !== 200) pagesFailed.push(`${page}: ${reply.status}`);
    for (const url of imageUrlsIn(reply.body)) imageUrls.add(new URL(url, origin).toString());
  });
  const urls = [...imageUrls];
  const broken: string[] = [];
  await runPool(urls.length, CONCURRENCY, async (index) => {
    if (Date.now() > deadline) {
      timedOut = true;
      return;
    }
    const url = urls[index]!;
    const problem = await fetchImage(url, origin);
    if (problem) broken.push(`${url}: ${problem}`);
  });
  return { pages: pages.length, pagesFailed, images: urls.length, broken, timedOut };
}

/** The URLs of every <img> src and srcset candidate in a page, HTML entities decoded. */
export function imageUrlsIn(html: string): string[] {
  const urls: string[] = [];
  for (const [tag] of html.matchAll(/<img\b[^>]*>/gi)) {
    const src = /\ssrc="([^"]*)"/i.exec(tag)?.[1];
    if (src) urls.push(decodeEntities(src));
    const srcset = /\ssrcset="([^"]*)"/i.exec(tag)?.[1];
    if (srcset)
      for (const candidate of decodeEntities(srcset).split(',')) {
        const url = candidate.trim().split(/\s+/)[0];
        if (url) urls.push(url);
      }
  }
  return urls.filter((url) => !url.startsWith('data:'));
}

async function fetchImage(url: string, origin: string): Promise<string | undefined> {
  try {
    // The app's own paths behind Render's TLS proxy, as pages are; the bucket's URLs as they are.
    const headers: Record<string, string> = url.startsWith(origin) ? { 'x-forwarded-proto': 'https' } : {};
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    const type = response.headers.get('content-type') ?? '';
    await response.arrayBuffer();
    if (response.status !== 200) return `answered ${response.status}`;
    if (!type.startsWith('image/')) return `answered ${type || 'no content type'}`;
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

function decodeEntities(text: string): string {
  return text
    .replace(/&amp;/g, '&')
    .replace(/&#x2F;/gi, '/')
    .replace(/&#39;|&#x27;/gi, "'")
    .replace(/&quot;/g, '"');
}
