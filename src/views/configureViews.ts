/**
 * Nunjucks with autoescape always on. Templates get view models and call pure helpers only;
 * `getImageUrl` is the seed's template helper and `imageTag` renders a responsive <img>;
 * neither touches the disk or network.
 * In development every render reads its template afresh (`noCache`), so an edited template
 * shows on the next request: `node --watch` restarts only for changed modules, and templates
 * are not modules. Production and tests compile each template once.
 */
import path from 'node:path';
import nunjucks from 'nunjucks';
import type { Express } from 'express';
import type { AppConfig } from '../config.ts';
import type { ImageStorage } from '../files/imageStorage.ts';
import { createImageTag } from './imageTag.ts';

export function configureViews(
  app: Express,
  options: {
    viewsDir: string;
    imageStorage: Pick<ImageStorage, 'getImageUrl'>;
    appEnv: AppConfig['env'];
    /** Fingerprinted asset URLs (web/assetFingerprints.ts); plain /static paths when not given. */
    assetUrl?: (relativePath: string) => string;
  },
): nunjucks.Environment {
  const env = nunjucks.configure(path.resolve(options.viewsDir), {
    autoescape: true,
    express: app,
    throwOnUndefined: false,
    noCache: options.appEnv === 'development',
  });
  env.addGlobal('getImageUrl', options.imageStorage.getImageUrl);
  env.addGlobal('assetUrl', options.assetUrl ?? ((relativePath: string) => `/static/${relativePath}`));
  env.addGlobal('imageTag', createImageTag(options.imageStorage.getImageUrl));
  env.addFilter('date', (value: Date | string) =>
    new Date(value).toLocaleDateString('en-GB', { year: 'numeric', month: 'long', day: 'numeric' }),
  );
  app.set('view engine', 'njk');
  return env;
}
