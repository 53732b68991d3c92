/**
 * GET /healthz for Render's health check. Always 200 while the app can serve pages: images
 * still upload when S3 is away (local fallback), so S3 trouble is reported in the body
 * ("degraded"), not turned into a failing check that would restart a working app. Anonymous
 * callers get the status only: the last S3 error, the breaker state and the counts help an
 * attacker time an outage, so they go to a caller with HEALTHZ_TOKEN (and to the logs).
 */
import type { RequestHandler } from 'express';
import type { StorageHealth } from '../files/storageHealth.ts';
import { hasBearerToken } from '../web/bearerToken.ts';

export function createHealthHandlers({
  storageHealth,
  healthzToken,
}: {
  storageHealth: StorageHealth;
  healthzToken: string | undefined;
}) {
  const show: RequestHandler = async (req, res) => {
    const report = await storageHealth.report();
    res.set('Cache-Control', 'no-store');
    res.json(hasBearerToken(req, healthzToken) ? report : { status: report.status });
  };
  return { show };
}
