/**
 * Serves the app's own assets and the locally stored images. Local images get long-lived
 * immutable caching (their keys never repeat), `nosniff`, and a Content-Type from their
 * extension — which the server chose from the sniffed bytes. Upload folders answer 404
 * themselves for missing files instead of falling through, and `send` refuses traversal.
 */
import path from 'node:path';
import express, { Router } from 'express';
import { MEDIA_FOLDERS } from '../storage/keys.ts';

export function createStaticRoutes(options: { assetsDir: string; localStorageDir: string }): Router {
  const router = Router();
  for (const folder of MEDIA_FOLDERS) {
    router.use(
      `/static/${folder}`,
      express.static(path.join(options.localStorageDir, folder), {
        index: false,
        dotfiles: 'ignore',
        fallthrough: false,
        immutable: true,
        maxAge: '365d',
        setHeaders(res) {
          res.setHeader('X-Content-Type-Options', 'nosniff');
          // An image opened directly must not be able to run anything.
          res.setHeader('Content-Security-Policy', "default-src 'none'; img-src 'self'; sandbox");
        },
      }),
    );
  }
  router.use(
    '/static',
    express.static(options.assetsDir, {
      index: false,
      dotfiles: 'ignore',
      maxAge: '1h',
      setHeaders(res) {
        res.setHeader('X-Content-Type-Options', 'nosniff');
      },
    }),
  );
  return router;
}
