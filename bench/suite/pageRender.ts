/**
 * Image-heavy page: the home page with a full page of video cards (a thumbnail srcset and an
 * avatar srcset each, every image in S3), requests per second through the running app against
 * the floor — the same template rendered from a view model loaded once, every image URL a
 * finished string. p99 latency of both is reported. Target: ≥ 0.9 of the floor.
 */
import { cp } from 'node:fs/promises';
import path from 'node:path';
import { appEnvironment } from '../support/appProcess.ts';
import { loadPage, type PageLoad } from '../support/autocannon.ts';
import { summarize } from '../support/stats.ts';
import { seedImageHeavyHome } from './imageHeavyHome.ts';
import {
  freshBucket,
  interleaved,
  PROJECT_DIR,
  scratchDir,
  startApp,
  startHelper,
  type BenchmarkResult,
  type SuiteContext,
} from './suiteContext.ts';

const CONNECTIONS = 10;

export async function benchmarkPageRender(context: SuiteContext): Promise<BenchmarkResult> {
  const cards = context.tiny ? 6 : 60;
  const members = context.tiny ? 2 : 12;
  const seconds = context.tiny ? 1 : 5;
  const bucket = await freshBucket(context);
  const workDir = await scratchDir(context, 'page');
  const setup = { workDir, bucket };

  const seeding = await startApp(context, setup);
  await seedImageHeavyHome(context, seeding.origin, { members, cards });
  await seeding.stop();

  // The floor reads a copy of the database, so the app and it never share one PGlite directory.
  const floorData = path.join(workDir, 'floor-data');
  await cp(path.join(workDir, 'data'), floorData, { recursive: true });
  const floor = await startHelper<{ port: number; cards: number }>(context, 'bench/servers/precomputedHome.ts', {
    ...appEnvironment({ projectDir: PROJECT_DIR, workDir, s3: context.s3, bucket, maxImageMegabytes: 10 }, 1),
    DATA_DIR: floorData,
  });
  const app = await startApp(context, setup);
  const appUrl = `${app.origin}/`;
  const floorUrl = `http://127.0.0.1:${floor.ready.port}/`;
  await assertSamePage(appUrl, floorUrl, Math.min(cards, floor.ready.cards), context.s3.endpoint);

  await loadPage(appUrl, { connections: CONNECTIONS, seconds: 1 }); // warm-up, unmeasured
  await loadPage(floorUrl, { connections: CONNECTIONS, seconds: 1 });
  const [appRuns, floorRuns] = (await interleaved<PageLoad>(context.rounds, [
    () => loadPage(appUrl, { connections: CONNECTIONS, seconds }),
    () => loadPage(floorUrl, { connections: CONNECTIONS, seconds }),
  ])) as [PageLoad[], PageLoad[]];
  const ratios = appRuns.map((run, i) => run.requestsPerSecond / floorRuns[i]!.requestsPerSecond);
  const median = (runs: PageLoad[], pick: (run: PageLoad) => number) => summarize(runs.map(pick)).median;
  return {
    name: 'image-heavy page',
    setting: `GET / with ${floor.ready.cards} cards, ${CONNECTIONS} connections × ${seconds} s`,
    rows: [
      {
        figure: 'requests/s: app / template from precomputed URLs',
        ours: median(appRuns, (run) => run.requestsPerSecond).toFixed(0),
        baseline: median(floorRuns, (run) => run.requestsPerSecond).toFixed(0),
        ratio: summarize(ratios),
        target: { atLeast: 0.9 },
      },
      {
        figure: 'p99 latency ms: app / template',
        ours: median(appRuns, (run) => run.p99Ms).toFixed(1),
        baseline: median(floorRuns, (run) => run.p99Ms).toFixed(1),
        ratio: summarize(appRuns.map((run, i) => run.p99Ms / Math.max(floorRuns[i]!.p99Ms, 1))),
        note: 'reported, no target',
      },
    ],
  };
}

/** Both servers must show the same cards with S3 image URLs, or the comparison means nothing. */
async function assertSamePage(appUrl: string, floorUrl: string, cards: number, s3Endpoint: string): Promise<void> {
  const [appHtml, floorHtml] = await Promise.all(
    [appUrl, floorUrl].map(async (url) => (await fetch(url, { headers: { 'x-forwarded-proto': 'https' } })).text()),
  );
  for (const [name, html] of [
    ['app', appHtml!],
    ['floor', floorHtml!],
  ] as const) {
    const shown = html.match(/class="video-card"/g)?.length ?? 0;
    if (shown !== cards) throw new Error(`The ${name}'s home page shows ${shown} video cards, expected ${cards}`);
    const s3Images = html.match(new RegExp(`src="${s3Endpoint}/`, 'g'))?.length ?? 0;
    if (s3Images < cards * 2)
      throw new Error(`The ${name}'s home page has ${s3Images} images from S3, expected at least ${cards * 2}`);
  }
  const images = (html: string) => html.match(/<img[^>]*>/g) ?? [];
  const [appImages, floorImages] = [images(appHtml!), images(floorHtml!)];
  const differing = appImages.findIndex((tag, i) => tag !== floorImages[i]);
  if (differing >= 0 || appImages.length !== floorImages.length) {
    throw new Error(
      `The app and the floor render different images: ${appImages[differing] ?? '(none)'} vs ${floorImages[differing] ?? '(none)'}`,
    );
  }
}
