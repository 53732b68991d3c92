/**
 * GET /healthz for Render's health check. Always 200 while the app can serve pages: images
 * still upload when S3 is away (local fallback), so S3 trouble is reported, not fatal.
 * Cheap by design — the S3 probe is cached by the monitor, never run per request.
 */
import { Router } from 'express';
import type { ImageStorage } from '../storage/imageStorage.js';
import type { S3HealthMonitor } from '../storage/s3HealthMonitor.js';

export function createHealthRoutes({ imageStorage, s3Health }: { imageStorage: ImageStorage; s3Health: S3HealthMonitor }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    const s3 = s3Health.status();
    const degraded = s3.configured && s3.reachable === false;
    res.set('Cache-Control', 'no-store').json({
      status: degraded ? 'degraded' : 'ok',
      storage: {
        mode: imageStorage.mode,
        s3,
        ...(degraded && { reason: 'S3 is not answering; new images are stored on local disk. Run `npm run storage:check` for the cause.' }),
      },
    });
  });
  return router;
}
