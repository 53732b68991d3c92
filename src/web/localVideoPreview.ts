/**
 * The video form's page may play the member's own file from a blob: URL, which is how
 * static/js/videoThumbnail.js draws a frame of it for the thumbnail. Only this page widens
 * media-src, and only by blob: (URLs the page's own scripts made from a picked file); every
 * other page keeps the app-wide policy.
 */
import type { Response } from 'express';

/** Adds blob: to media-src of the Content-Security-Policy already set on `res` (by helmet). */
export function allowLocalVideoPreview(res: Response): void {
  const policy = res.getHeader('Content-Security-Policy');
  if (typeof policy !== 'string') return;
  res.setHeader(
    'Content-Security-Policy',
    policy
      .split(';')
      .map((directive) => (directive.trim().startsWith('media-src ') ? `${directive} blob:` : directive))
      .join(';'),
  );
}
