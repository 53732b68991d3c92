/**
 * GET /healthz for Render's health check. Always 200 while the app can serve pages: images
 * still upload when S3 is away (local fallback), so S3 trouble is reported in the body
 * ("degraded" with reasons), not turned into a failing check that would restart a working app.
 */
import type { RequestHandler } from 'express';
import type { StorageHealth } from '../files/storageHealth.ts';

export function createHealthHandlers({ storageHealth }: { storageHealth: StorageHealth }) {
  const show: RequestHandler = async (_req, res) => {
    res.set('Cache-Control', 'no-store').json(await storageHealth.report());
  };
  return { show };
}
