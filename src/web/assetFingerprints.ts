/**
 * Fingerprinted names for the app's own assets (static/css, static/js, static/img): each file
 * is hashed once at boot, pages link to `/static/css/app.<hash>.css`, and that name is served
 * with a year-long immutable cache — a changed file gets a new name, so no browser ever keeps
 * a stale copy. Unhashed names keep working with a short cache, for anything that still
 * links to them.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Router } from 'express';

export interface AssetFingerprints {
  /** `/static/<fingerprinted name>` for a path under the assets folder, e.g. `css/app.css`; throws for an unknown asset. */
  assetUrl(relativePath: string): string;
  /** Serves fingerprinted names (and only those) with `immutable`; everything else falls through. */
  routes: Router;
}

const FINGERPRINTED_FOLDERS = ['css', 'js', 'img'];
const YEAR_SECONDS = 365 * 24 * 60 * 60;

export function fingerprintAssets(assetsDir: string): AssetFingerprints {
  const urlByPath = new Map<string, string>();
  const fileByUrl = new Map<string, string>();
  for (const folder of FINGERPRINTED_FOLDERS) {
    for (const name of readdirSync(path.join(assetsDir, folder))) {
      const file = path.join(assetsDir, folder, name);
      const hash = createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 12);
      const extension = path.extname(name);
      const url = `/static/${folder}/${path.basename(name, extension)}.${hash}${extension}`;
      urlByPath.set(`${folder}/${name}`, url);
      fileByUrl.set(url, file);
    }
  }

  const routes = Router();
  routes.get(/^\/static\/(css|js|img)\/[^/]+$/, (req, res, next) => {
    const file = fileByUrl.get(req.path);
    if (!file) return next();
    res.sendFile(file, {
      dotfiles: 'deny',
      headers: { 'Cache-Control': `public, max-age=${YEAR_SECONDS}, immutable`, 'X-Content-Type-Options': 'nosniff' },
      cacheControl: false,
    });
  });

  return {
    assetUrl(relativePath) {
      const url = urlByPath.get(relativePath);
      if (!url) throw new Error(`No asset static/${relativePath}`);
      return url;
    },
    routes,
  };
}
