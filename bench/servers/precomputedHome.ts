/**
 * The floor for the home page: the app's own template and Nunjucks environment, rendering a
 * view model loaded once at start-up, with every image URL already a string. Each request is
 * the template alone — no database, no session, no URL building, no middleware — which is
 * what the app's home page is measured against. It reads a copy of the app's database, made
 * while the app was stopped, so both show exactly the same page.
 */
import path from 'node:path';
import express from 'express';
import { composeApp } from '../../src/composeApp.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { listNewestMembers } from '../../src/members/memberProfiles.ts';
import type { ImageStorage } from '../../src/files/imageStorage.ts';
import { listRankedVideos, VIDEOS_PER_PAGE } from '../../src/videos/videoCatalog.ts';
import { configureViews } from '../../src/views/configureViews.ts';
import { serveRequests } from '../support/childScript.ts';

const config = loadConfig(process.env);
const composed = await composeApp(config, { logger: createLogger({ level: 'warn' }) });
const [{ videos, hasNextPage }, newestMembers] = await Promise.all([
  listRankedVideos(composed.db, 1),
  listNewestMembers(composed.db, 12),
]);
await composed.close();
const viewModel = { videos, hasNextPage, page: 1, firstRank: 1, newestMembers };

// Filled by the first render; after that every URL the page needs is a Map lookup of a finished string.
const urls = new Map<string, string>();
const precomputedUrl: ImageStorage['getImageUrl'] = (image, folder, width) => {
  // imageTag asks for each srcset entry with a copy of the ref holding that one variant.
  const name =
    typeof image === 'string' || !image
      ? `${image}|${folder}`
      : `${image.variants?.length === 1 ? image.variants[0]!.key : image.key}|${folder}|${width}`;
  let url = urls.get(name);
  if (url === undefined) {
    url = composed.imageStorage.getImageUrl(image, folder, width);
    urls.set(name, url);
  }
  return url;
};

const app = express();
configureViews(app, {
  viewsDir: path.resolve(import.meta.dirname, '..', '..', 'views'),
  imageStorage: { ...composed.imageStorage, getImageUrl: precomputedUrl },
  // The benchmark's floor compiles templates once, as the app does in production.
  appEnv: 'production',
});
app.get('/', (_req, res) => res.render('pages/home.njk', viewModel));

const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  serveRequests(
    { port: typeof address === 'object' && address ? address.port : 0, cards: videos.length, perPage: VIDEOS_PER_PAGE },
    async () => ({}),
  );
});
