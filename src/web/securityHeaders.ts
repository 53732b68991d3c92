/**
 * The security headers every response carries (helmet), with a Content-Security-Policy that
 * names exactly the origins the pages load from: images and videos from the bucket or CDN
 * when they are not proxied, and the bucket's origin for direct uploads when those are on.
 */
import helmet from 'helmet';
import type { RequestHandler } from 'express';

export interface SecurityHeaderOptions {
  production: boolean;
  /** Origins images may load from besides the app itself. */
  imageOrigins: string[];
  /** Origins videos may load from besides the app itself. */
  mediaOrigins: string[];
  /** The bucket origin the direct-upload script posts to; undefined when direct uploads are off. */
  directUploadOrigin: string | undefined;
}

export function securityHeaders(options: SecurityHeaderOptions): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      directives: {
        imgSrc: ["'self'", 'data:', ...options.imageOrigins],
        mediaSrc: ["'self'", ...options.mediaOrigins],
        connectSrc: ["'self'", ...(options.directUploadOrigin ? [options.directUploadOrigin] : [])],
        // Browsers would otherwise rewrite an http:// MinIO endpoint in development to https.
        upgradeInsecureRequests: options.production ? [] : null,
      },
    },
    hsts: options.production,
  });
}
